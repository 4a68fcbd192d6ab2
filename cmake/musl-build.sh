#!/bin/sh
# musl-build.sh ARCH PREFIX CACHE_DIR
# Builds the musl C library (Debian 12's musl 1.2.3-1, pinned in deps.lock)
# for ARCH (x86_64 or aarch64) with Debian's ARCH-linux-gnu-gcc, static
# only, into PREFIX: lib/libc.a, include/, bin/musl-gcc (musl's own gcc
# wrapper) and the kernel's uapi headers (linux/, asm/, asm-generic/, which
# libwebsockets includes) copied beside musl's own. Takes about 20 s.
# Called by cross/musl.cmake when PREFIX has no musl-gcc yet.
set -eu
arch=$1 prefix=$2 cache=$3
here=$(cd "$(dirname "$0")" && pwd)
cc=$arch-linux-gnu-gcc
case $arch in
x86_64) uapi=/usr/include asm=/usr/include/x86_64-linux-gnu/asm ;;
aarch64) uapi=/usr/aarch64-linux-gnu/include asm=$uapi/asm ;;
*) echo "musl-build: no musl build for '$arch'" >&2; exit 1 ;;
esac
command -v "$cc" >/dev/null || {
	echo "musl-build: $cc not found (tests/setup-deps.sh installs it)" >&2
	exit 1
}
[ -d "$uapi/linux" ] && [ -d "$asm" ] || {
	echo "musl-build: no kernel headers in $uapi (linux-libc-dev)" >&2
	exit 1
}
src=$prefix.src obj=$prefix.obj
rm -rf "$prefix" "$obj"
sh "$here/fetch-dep.sh" musl "$cache" "$src"
mkdir -p "$obj"
# Paths of the build never reach the library (musl compiles without -g;
# the map is there should a CFLAGS add it).
(cd "$obj" && CC=$cc CFLAGS="-O2 -ffile-prefix-map=$src=musl" \
	"$src/configure" --target="$arch-linux-gnu" --prefix="$prefix" \
	--disable-shared --enable-wrapper=gcc >configure.log 2>&1) || {
	cat "$obj/configure.log" >&2
	exit 1
}
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -le 2 ] || jobs=2
make -C "$obj" -j"$jobs" >"$obj/build.log" 2>&1 &&
	make -C "$obj" install >>"$obj/build.log" 2>&1 || {
	tail -n 40 "$obj/build.log" >&2
	exit 1
}
cp "$src/COPYRIGHT" "$prefix/COPYRIGHT"   # the packages' copyright file
cp -R "$uapi/linux" "$uapi/asm-generic" "$prefix/include/"
cp -R "$asm" "$prefix/include/asm"
rm -rf "$src" "$obj"
echo "musl-build: musl for $arch in $prefix" >&2
