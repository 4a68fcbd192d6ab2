#!/bin/sh
# make-ca.sh: a throw-away PKI for the integration tests, made with the
# openssl CLI. Owns only OUTDIR; the broker and controller just read it.
#
# Usage: make-ca.sh [--force] OUTDIR
#
# Output (PEM; keys are EC P-256, mode 0600; certs valid from 3 days ago
# for 10 years):
#   ca.pem ca_key.pem crl.pem     test CA and its CRL (revokes revoked.pem)
#   broker.pem                    CN broker.example, SAN DNS:localhost,
#                                 DNS:broker.example, IP:127.0.0.1, IP:::1
#   broker_iponly.pem             SAN IP:127.0.0.1, IP:::1 only
#   broker_dnsonly.pem            SAN DNS:localhost, DNS:broker.example only
#   broker_dnsip.pem              SAN DNS:127.0.0.1, DNS:::1 (addresses as names)
#   broker_wrongip.pem            SAN DNS:localhost, IP:127.0.0.2, IP:::2
#   broker_cnip.pem               CN 127.0.0.1, no SAN
#   broker_rsa.pem                as broker.pem, RSA 2048 key
#   broker_revoked.pem            as broker.pem, revoked in crl.pem
#   int-ca.pem int2-ca.pem        intermediates of ca (int2-ca revoked)
#   broker_int{,2}.pem            broker leaves of them
#   ca_bundle.pem                 ca + both intermediates
#   crl_all.pem                   crl.pem + the intermediates' CRLs
#   crl_expired.pem               ca's CRL, nextUpdate 2 days ago
#   crl_before.pem                ca's CRL before broker_revoked was revoked
#   agent01_rotated.pem           agent01.example again, a new key
#   agent_expiring.pem            agent01.example, expires in 7 days
#   wrongname.pem                 CN wrongname.example, no localhost SAN
#   agent01.pem agent02.pem       CN agent01.example / agent02.example
#   controller.pem                CN controller.example
#   revoked.pem                   CN revoked.example, listed in crl.pem
#   other-ca.pem other-ca_key.pem a second, unrelated CA
#   other_agent.pem               CN agent01.example, signed by other-ca
#   other_broker.pem              broker names, signed by other-ca
# each <name>.pem with its key <name>_key.pem.
# Skips the work when OUTDIR/ca.pem exists, unless --force is given.
set -eu

force=0
if [ "${1:-}" = "--force" ]; then
	force=1
	shift
fi
if [ $# -ne 1 ]; then
	echo "usage: $0 [--force] OUTDIR" >&2
	exit 2
fi
out=$1

if [ -f "$out/ca.pem" ] && [ $force -eq 0 ]; then
	exit 0
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

work=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
umask 077

# Certificates start a few days back so that small clock differences
# between test hosts never make them "not yet valid".
start=$(date -u -d '3 days ago' +%Y%m%d%H%M%SZ 2>/dev/null ||
	date -u -v-3d +%Y%m%d%H%M%SZ)
days=3653

# One openssl config for both CAs; the CA directory comes from $CADIR.
cat > "$work/openssl.cnf" <<'EOF'
[ ca ]
default_ca = test_ca

[ test_ca ]
dir = $ENV::CADIR
database = $dir/index.txt
serial = $dir/serial
crlnumber = $dir/crlnumber
new_certs_dir = $dir/new
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
default_crl_days = 3650

[ policy_any ]
commonName = supplied

[ req ]
distinguished_name = req_dn
prompt = no

[ req_dn ]
CN = placeholder

[ ext_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ ext_leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment, keyAgreement
extendedKeyUsage = serverAuth, clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $ENV::SAN

[ ext_leaf_nosan ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment, keyAgreement
extendedKeyUsage = serverAuth, clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

key_new() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$1" 2>/dev/null
}

# ca_new NAME CN: self-signed CA NAME.pem / NAME_key.pem with its own db.
ca_new() {
	d="$work/$1"
	mkdir -p "$d/new"
	: > "$d/index.txt"
	echo 1000 > "$d/serial"
	echo 1000 > "$d/crlnumber"
	key_new "$out/$1_key.pem"
	CADIR=$d SAN=DNS:unused openssl req -new -config "$work/openssl.cnf" \
	    -key "$out/$1_key.pem" -subj "/CN=$2" -out "$d/ca.csr"
	CADIR=$d SAN=DNS:unused openssl ca -batch -notext -selfsign \
	    -config "$work/openssl.cnf" -keyfile "$out/$1_key.pem" \
	    -startdate "$start" -days $days -extensions ext_ca \
	    -in "$d/ca.csr" -out "$out/$1.pem" 2>/dev/null
}

# leaf_new CA NAME CN SAN [EXT]: NAME.pem / NAME_key.pem signed by CA.
# EXT ext_leaf_nosan gives a certificate without SANs (SAN is unused);
# $KEYGEN (default key_new) makes the key.
leaf_new() {
	d="$work/$1"
	${KEYGEN:-key_new} "$out/$2_key.pem"
	CADIR=$d SAN=$4 openssl req -new -config "$work/openssl.cnf" \
	    -key "$out/$2_key.pem" -subj "/CN=$3" -out "$work/$2.csr"
	CADIR=$d SAN=$4 openssl ca -batch -notext -config "$work/openssl.cnf" \
	    -cert "$out/$1.pem" -keyfile "$out/$1_key.pem" \
	    -startdate "$start" -days $days -extensions "${5:-ext_leaf}" \
	    -in "$work/$2.csr" -out "$out/$2.pem" 2>/dev/null
}

rsa_key_new() {
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$1" 2>/dev/null
}

broker_san="DNS:localhost,DNS:broker.example,IP:127.0.0.1,IP:::1"

ca_new ca "pxpd test CA"
leaf_new ca broker broker.example "$broker_san"
leaf_new ca wrongname wrongname.example "DNS:wrongname.example"
leaf_new ca agent01 agent01.example "DNS:agent01.example"
leaf_new ca agent02 agent02.example "DNS:agent02.example"
leaf_new ca controller controller.example "DNS:controller.example"
leaf_new ca revoked revoked.example "DNS:revoked.example"
# For the checks of peers dialled by IP address (an address must match an
# iPAddress SAN; never a dNSName spelled like it, never the CN).
leaf_new ca broker_iponly broker.example "IP:127.0.0.1,IP:::1"
leaf_new ca broker_dnsonly broker.example "DNS:localhost,DNS:broker.example"
leaf_new ca broker_dnsip broker.example "DNS:127.0.0.1,DNS:::1"
leaf_new ca broker_wrongip broker.example "DNS:localhost,IP:127.0.0.2,IP:::2"
leaf_new ca broker_cnip 127.0.0.1 DNS:unused ext_leaf_nosan
# An RSA key: servers limited to TLS 1.2 sign with rsa_pss_rsae with it.
KEYGEN=rsa_key_new leaf_new ca broker_rsa broker.example "$broker_san"

leaf_new ca broker_revoked broker.example "$broker_san"

# Intermediates, as Puppet 6+ CAs have: int-ca is good, int2-ca is revoked
# by the root.
int_new() {
	d="$work/$1"
	mkdir -p "$d/new"
	: > "$d/index.txt"
	echo 2000 > "$d/serial"
	echo 2000 > "$d/crlnumber"
	key_new "$out/$1_key.pem"
	CADIR=$d SAN=DNS:unused openssl req -new -config "$work/openssl.cnf" \
	    -key "$out/$1_key.pem" -subj "/CN=$2" -out "$d/ca.csr"
	CADIR=$work/ca SAN=DNS:unused openssl ca -batch -notext \
	    -config "$work/openssl.cnf" -cert "$out/ca.pem" \
	    -keyfile "$out/ca_key.pem" -startdate "$start" -days $days \
	    -extensions ext_ca -in "$d/ca.csr" -out "$out/$1.pem" 2>/dev/null
}
crl_new() {  # crl_new CA OUT [openssl ca options]
	c=$1 o=$2
	shift 2
	CADIR=$work/$c SAN=DNS:unused openssl ca -batch -gencrl \
	    -config "$work/openssl.cnf" -cert "$out/$c.pem" \
	    -keyfile "$out/${c}_key.pem" -out "$o" "$@" 2>/dev/null
}
int_new int-ca "pxpd test intermediate"
int_new int2-ca "pxpd revoked intermediate"
leaf_new int-ca broker_int broker.example "$broker_san"
leaf_new int2-ca broker_int2 broker.example "$broker_san"
# The agent's CA bundle holds the intermediates, as Puppet's ca.pem does.
cat "$out/ca.pem" "$out/int-ca.pem" "$out/int2-ca.pem" > "$out/ca_bundle.pem"

# For reload tests: agent01's certificate renewed (same CN, new key), and
# one that expires within the 30 days pxpd warns about.
leaf_new ca agent01_rotated agent01.example "DNS:agent01.example"
days_all=$days
days=10
leaf_new ca agent_expiring agent01.example "DNS:agent01.example"
days=$days_all

revoke() {
	CADIR=$work/ca SAN=DNS:unused openssl ca -batch \
	    -config "$work/openssl.cnf" -cert "$out/ca.pem" \
	    -keyfile "$out/ca_key.pem" -revoke "$out/$1.pem" 2>/dev/null
}
revoke revoked
# The CRL before broker_revoked was revoked (a reload test swaps it).
crl_new ca "$out/crl_before.pem"
revoke broker_revoked
revoke int2-ca
crl_new ca "$out/crl.pem"
crl_new int-ca "$work/int-ca.crl"
crl_new int2-ca "$work/int2-ca.crl"
# Every CRL of the hierarchy in one file, as Puppet's crl.pem holds them.
cat "$out/crl.pem" "$work/int-ca.crl" "$work/int2-ca.crl" > "$out/crl_all.pem"
# The root's CRL, due two days ago (nextUpdate in the past).
crl_new ca "$out/crl_expired.pem" \
    -crl_lastupdate "$(date -u -d '10 days ago' +%Y%m%d%H%M%SZ)" \
    -crl_nextupdate "$(date -u -d '2 days ago' +%Y%m%d%H%M%SZ)"

# An unrelated CA: its leaves must be refused by anyone trusting ca.pem,
# even when they claim an identity the real CA issued (agent01.example).
ca_new other-ca "pxpd other CA"
leaf_new other-ca other_agent agent01.example "DNS:agent01.example"
leaf_new other-ca other_broker broker.example "$broker_san"

# Certificates and the CRL are public; keys stay 0600.
chmod 644 "$out"/*.pem
chmod 600 "$out"/*_key.pem
