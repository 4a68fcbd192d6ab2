#!/bin/sh
# fetch-dep.sh PACKAGE CACHE_DIR SRC_DIR
# Puts the pinned Debian source package PACKAGE (see deps.lock) into
# CACHE_DIR, checks every file against its pinned sha256, and unpacks it
# into SRC_DIR the way dpkg-source does for a "3.0 (quilt)" package: the
# orig tarball, its debian/ directory, then debian/patches/series in order.
# The .dsc is not needed (security updates' .dsc files are not always in
# the pool), and no deb-src entry is needed either: the sha256 pins are
# taken from the signed Sources indexes. Cached files with the right sum
# are not downloaded again, so rebuilds are offline.
set -eu
pkg=$1 cache=$2 dest=$3  # $4: patches=<hash>, only to re-run on change
here=$(cd "$(dirname "$0")" && pwd)
lock=$here/deps.lock
mirrors=${PXPD_DEB_MIRRORS:-"http://deb.debian.org/debian/pool/main http://deb.debian.org/debian-security/pool/updates/main"}
mkdir -p "$cache"

rows=$(grep -v '^#' "$lock" | awk -v p="$pkg" '$1==p {print $3" "$4" "$5}')
[ -n "$rows" ] || { echo "fetch-dep: $pkg is not in $lock" >&2; exit 1; }

fetch() {  # fetch POOLDIR FILE SHA256
	if [ -f "$cache/$2" ] && echo "$3  $cache/$2" | sha256sum --quiet -c - 2>/dev/null; then
		return 0
	fi
	for m in $mirrors; do
		echo "fetch-dep: downloading $m/$1/$2" >&2
		if curl -fsSL --retry 3 -o "$cache/$2.part" "$m/$1/$2"; then
			if echo "$3  $cache/$2.part" | sha256sum --quiet -c - 2>/dev/null; then
				mv "$cache/$2.part" "$cache/$2"
				return 0
			fi
			echo "fetch-dep: checksum mismatch for $2 from $m (see cmake/deps.lock)" >&2
		fi
		rm -f "$cache/$2.part"
	done
	echo "fetch-dep: cannot get $2 with sha256 $3 from: $mirrors" >&2
	exit 1
}

echo "$rows" | while read -r dir file sum; do fetch "$dir" "$file" "$sum"; done

orig=$(echo "$rows" | awk '$2 ~ /\.orig\.tar\./ {print $2}')
deb=$(echo "$rows" | awk '$2 ~ /\.debian\.tar\./ {print $2}')
rm -rf "$dest" "$dest.tmp"
mkdir -p "$dest.tmp"
tar -xf "$cache/$orig" -C "$dest.tmp"
top=$(ls "$dest.tmp")
[ "$(echo "$top" | wc -l)" = 1 ] || { echo "fetch-dep: $orig has no single top dir" >&2; exit 1; }
mv "$dest.tmp/$top" "$dest"
rmdir "$dest.tmp"
tar -xf "$cache/$deb" -C "$dest"
fmt=$(cat "$dest/debian/source/format" 2>/dev/null || echo "")
[ "$fmt" = "3.0 (quilt)" ] || { echo "fetch-dep: $pkg: unsupported source format '$fmt'" >&2; exit 1; }
# debian/patches/series: "name [-pN]" per line, '#' starts a comment.
if [ -f "$dest/debian/patches/series" ]; then
	sed -e 's/#.*//' "$dest/debian/patches/series" | while read -r name opt; do
		[ -n "$name" ] || continue
		patch -s -d "$dest" ${opt:--p1} <"$dest/debian/patches/$name"
	done
fi
# pxpd's own small patches on top of Debian's (cmake/patches/<pkg>-*.patch).
for p in "$here"/patches/"$pkg"-*.patch; do
	[ -f "$p" ] || continue
	patch -s -d "$dest" -p1 <"$p"
done
