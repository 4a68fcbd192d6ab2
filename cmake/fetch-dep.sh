#!/bin/sh
# fetch-dep.sh PACKAGE CACHE_DIR SRC_DIR
# Puts the pinned Debian source package PACKAGE (see deps.lock) into
# CACHE_DIR, checks every file against its pinned sha256, and unpacks it
# with Debian's patches applied into SRC_DIR. Files already in the cache
# with the right checksum are not downloaded again, so rebuilds are offline.
set -eu
pkg=$1 cache=$2 dest=$3  # $4: patches=<hash>, only to re-run on change
lock=$(dirname "$0")/deps.lock
mkdir -p "$cache"

verify() {
	ok=0
	grep -v '^#' "$lock" | awk -v p="$pkg" '$1==p {print $4"  "$3}' >"$cache/$pkg.sha256"
	(cd "$cache" && sha256sum --quiet -c "$pkg.sha256" 2>/dev/null) && ok=1
	[ $ok = 1 ]
}

if ! verify; then
	version=$(awk -v p="$pkg" '$1==p {print $2; exit}' "$lock")
	echo "fetch-dep: downloading Debian source $pkg=$version" >&2
	if ! (cd "$cache" && apt-get source --download-only -qq "$pkg=$version") >&2; then
		echo "fetch-dep: 'apt-get source $pkg=$version' failed: a deb-src entry for bookworm is needed (see README, tests/setup-deps.sh)" >&2
		exit 1
	fi
	if ! verify; then
		echo "fetch-dep: checksum mismatch for $pkg in $cache (see cmake/deps.lock)" >&2
		(cd "$cache" && sha256sum -c "$pkg.sha256") >&2 || true
		exit 1
	fi
fi

dsc=$(awk -v p="$pkg" '$1==p && $3 ~ /\.dsc$/ {print $3}' "$lock")
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
dpkg-source --no-check -x "$cache/$dsc" "$dest" >/dev/null
# pxpd's own small patches on top of Debian's (cmake/patches/<pkg>-*.patch).
for p in "$(dirname "$0")"/patches/"$pkg"-*.patch; do
	[ -f "$p" ] || continue
	patch -s -d "$dest" -p1 <"$p"
done
