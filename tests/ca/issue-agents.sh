#!/bin/sh
# issue-agents.sh: many agent certificates from the test CA, for the fleet
# tests (tests/fleet). Owns only OUTDIR; the CA (made by make-ca.sh) is
# read, never changed, so make-ca.sh's outputs and cache stay as they are.
#
# Usage: issue-agents.sh [--prefix P] CADIR OUTDIR N
#
# Output: OUTDIR/P0001.pem and P0001_key.pem .. PNNNN (at least 4 digits),
# CN and SAN DNS:P0001.example (P defaults to "agent"), EC P-256 keys
# (mode 0600), signed by CADIR/ca.pem with CADIR/ca_key.pem, valid from 3
# days ago for 10 years, random serials (so none collides with the one
# crl.pem revokes). Certificates already in OUTDIR from the same CA are
# kept: asking for 1000 after 100 issues the 900 missing ones.
#
# Fast enough for thousands: keys and CSRs come from one openssl call per
# agent, run in parallel (one job per CPU), and a single `openssl ca`
# signs every CSR at once.
set -eu

prefix=agent
if [ "${1:-}" = "--prefix" ] && [ $# -ge 2 ]; then
	prefix=$2
	shift 2
fi
if [ $# -ne 3 ]; then
	echo "usage: $0 [--prefix P] CADIR OUTDIR N" >&2
	exit 2
fi
ca=$(cd "$1" && pwd)
out=$2
n=$3
case $n in
''|*[!0-9]*) echo "$0: N must be a number" >&2; exit 2 ;;
esac
case $prefix in
''|*[!A-Za-z0-9_-]*) echo "$0: bad prefix" >&2; exit 2 ;;
esac
[ -f "$ca/ca.pem" ] && [ -f "$ca/ca_key.pem" ] || {
	echo "$0: $ca has no ca.pem/ca_key.pem (run make-ca.sh)" >&2
	exit 2
}
mkdir -p "$out"
out=$(cd "$out" && pwd)
umask 077

# Certificates of another CA (make-ca.sh was run again) are useless.
if [ -f "$out/issuer.pem" ] && ! cmp -s "$out/issuer.pem" "$ca/ca.pem"; then
	rm -f "$out/$prefix"[0-9]*.pem "$out/issuer.pem"
fi
cp "$ca/ca.pem" "$out/issuer.pem"

work=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

start=$(date -u -d '3 days ago' +%Y%m%d%H%M%SZ 2>/dev/null ||
	date -u -v-3d +%Y%m%d%H%M%SZ)
days=3653

cat > "$work/openssl.cnf" <<'EOF'
[ ca ]
default_ca = agents_ca

[ agents_ca ]
dir = $ENV::WORK
database = $dir/index.txt
serial = $dir/serial
new_certs_dir = $dir/new
default_md = sha256
policy = policy_any
unique_subject = no
# The SAN comes from each CSR.
copy_extensions = copy

[ policy_any ]
commonName = supplied

[ req ]
distinguished_name = req_dn
prompt = no

[ req_dn ]
CN = placeholder

[ ext_agent ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment, keyAgreement
extendedKeyUsage = serverAuth, clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
mkdir -p "$work/new" "$work/csr"
: > "$work/index.txt"
# A random 128-bit start (first digit 4: positive, full length), then
# sequential: never the small serials of make-ca.sh's certificates (one
# of which crl.pem revokes).
openssl rand -hex 16 | sed 's/^./4/' > "$work/serial"

# The names still missing, one per line.
i=1
while [ "$i" -le "$n" ]; do
	name=$(printf '%s%04d' "$prefix" "$i")
	if [ ! -s "$out/$name.pem" ] || [ ! -s "$out/${name}_key.pem" ]; then
		echo "$name"
	fi
	i=$((i + 1))
done > "$work/todo"
[ -s "$work/todo" ] || exit 0

# Key and CSR in one call per agent; batches of 25 per shell keep the
# process count down, one batch per CPU at a time.
jobs=$(nproc 2>/dev/null || echo 2)
export WORK="$work" OUT="$out"
xargs -P "$jobs" -n 25 sh -c '
	for name; do
		openssl req -new -config "$WORK/openssl.cnf" \
		    -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		    -keyout "$WORK/csr/${name}_key.pem" -subj "/CN=$name.example" \
		    -addext "subjectAltName=DNS:$name.example" \
		    -out "$WORK/csr/$name.csr" 2>/dev/null || exit 255
	done' sh < "$work/todo"

# One openssl ca for all; each certificate lands in new/<serial>.pem and
# index.txt maps the serials to the CNs.
set --
while read -r name; do
	set -- "$@" "$work/csr/$name.csr"
done < "$work/todo"
openssl ca -batch -notext -config "$work/openssl.cnf" \
    -cert "$ca/ca.pem" -keyfile "$ca/ca_key.pem" \
    -startdate "$start" -days $days -extensions ext_agent \
    -out /dev/null -infiles "$@" 2>/dev/null

# Keys first, certificates last: a present certificate means a complete
# pair (a run cut short leaves only keys, issued again next time).
awk -F '\t' '{ cn = $6; sub(/^\/CN=/, "", cn); sub(/\.example$/, "", cn);
	print $4, cn }' "$work/index.txt" > "$work/issued"
while read -r serial name; do
	[ -s "$work/new/$serial.pem" ] || {
		echo "$0: no certificate for $name" >&2
		exit 1
	}
	mv "$work/csr/${name}_key.pem" "$out/${name}_key.pem"
	chmod 644 "$work/new/$serial.pem"
	mv "$work/new/$serial.pem" "$out/$name.pem"
done < "$work/issued"
[ "$(wc -l < "$work/issued")" -eq "$(wc -l < "$work/todo")" ] || {
	echo "$0: openssl ca issued fewer certificates than asked" >&2
	exit 1
}
chmod 644 "$out/issuer.pem"
