#!/bin/sh
# setup-deps.sh: makes a fresh Debian 12 machine able to build and test
# pxpd: the apt packages below (mingw-w64, wine64, wixl and msitools for
# the Windows part, tests/win/run.sh; libfaketime for tests/chaos). The superbuild downloads its pinned
# Debian source packages itself (cmake/fetch-dep.sh, cmake/deps.lock).
# As root it installs; otherwise it prints the exact command and fails.
set -eu

# The release tests (tests/release/run.sh, cross/build-aarch64.sh --release)
# add: rpm (rpmbuild for cpack -G RPM), lintian, file, busybox-static (the
# libc-less root the .deb is tried in), the aarch64 cross compiler with
# its kernel headers and qemu-user. musl is built from source for both
# architectures (cmake/musl-build.sh), so musl-tools is not needed.
PKGS="build-essential cmake curl ca-certificates patch xz-utils bzip2 \
openssl python3 libcmocka-dev clang libclang-rt-14-dev valgrind procps systemd \
nginx-light libfaketime gcc-mingw-w64-x86-64 wine64 msitools wixl rpm lintian \
file busybox-static gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "pxpd needs, as root:" >&2
	echo "  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
