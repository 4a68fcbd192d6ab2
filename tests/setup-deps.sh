#!/bin/sh
# setup-deps.sh: makes a fresh Debian 12 machine able to build and test
# pxpd: the apt packages below, and a deb-src entry so the superbuild can
# `apt-get source` its four pinned libraries (cmake/deps.lock).
# As root it installs; otherwise it prints the exact commands and fails.
set -eu

PKGS="build-essential cmake dpkg-dev patch ca-certificates openssl python3 \
libcmocka-dev clang libclang-rt-14-dev valgrind procps nginx-light"
SRC_LIST=/etc/apt/sources.list.d/pxpd-deb-src.sources

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
have_src=0
grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/ &&
	have_src=1

[ -z "$missing" ] && [ $have_src = 1 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "pxpd needs, as root:" >&2
	[ $have_src = 1 ] || echo "  printf 'Types: deb-src\\nURIs: http://deb.debian.org/debian\\nSuites: bookworm bookworm-updates\\nComponents: main\\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\\n\\nTypes: deb-src\\nURIs: http://deb.debian.org/debian-security\\nSuites: bookworm-security\\nComponents: main\\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\\n' > $SRC_LIST" >&2
	echo "  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi

if [ $have_src = 0 ]; then
	cat >"$SRC_LIST" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
[ -z "$missing" ] || apt-get install -y -qq --no-install-recommends $missing >/dev/null
