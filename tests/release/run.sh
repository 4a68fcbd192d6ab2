#!/bin/sh
# run.sh: the x86_64 release binary and its packages, as tests/run-tests.sh
# runs them (README "The release binary", packaging/README.md):
#   1. the release build in build-release/ (-DPXPD_RELEASE=ON: static,
#      musl), its stripped size within the 2 MiB budget;
#   2. no way into glibc's NSS: a static ELF with no interpreter and no
#      dynamic section, and none of NSS's file or module names inside;
#   3. reproducible: the same source built again in another directory
#      (a fresh temp dir) gives the same bytes, stripped or not;
#   4. integration_core with the release pxpd;
#   5. test_packages.py: the .deb and .rpm (contents, lintian, the .deb
#      installed, upgraded under a running action and removed in a root
#      that has nothing but busybox-static, the .rpm's scriptlets).
# Env: HOST_BUILD (default build): the test broker and controller;
#   BUILD_DIR (default build-release).
set -eu
cd "$(dirname "$0")/../.."
root=$(pwd)
build=${BUILD_DIR:-build-release}
host=${HOST_BUILD:-build}
jobs=$(nproc 2>/dev/null || echo 2)
t0=$(date +%s)
step() { printf '==== %s (%s s)\n' "$*" $(($(date +%s) - t0)); }
fail() {
	printf "release: %s\n" "$*" >&2
	exit 1
}
# Nothing in pxpd or its libraries reads the clock at build time; should
# anything start to, gcc takes this instead.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 0)
	export SOURCE_DATE_EPOCH
fi

release_build() { # DIR [cmake args]: configure and build, output in DIR/build.log
	dir=$1
	shift
	cmake -S . -B "$dir" -DPXPD_RELEASE=ON "$@" >/dev/null
	cmake --build "$dir" -j"$jobs" >"$dir/build.log" 2>&1 || {
		tail -n 40 "$dir/build.log" >&2
		fail "release build failed (all of it in $dir/build.log)"
	}
}

step "release build ($build)"
release_build "$build"
grep "release binary" "$build/build.log" || fail "no size line in the build output"
bin=$build/agent/pxpd.stripped
size=$(stat -c %s "$bin")
budget=2097152
[ "$size" -le $budget ] || fail "stripped pxpd is $size bytes, over $budget (2 MiB)"
echo "stripped pxpd: $size bytes (budget $budget)"

step "static, and no NSS inside"
for f in "$bin" "$build/modules/puppet/pxp-module-puppet"; do
	readelf -lW "$f" | grep -q INTERP && fail "$f has a program interpreter"
	readelf -dW "$f" | grep -q "dynamic section at" && fail "$f has a dynamic section"
	for s in nsswitch.conf libnss_ libc.so.6 ld-linux; do
		! grep -a -q "$s" "$f" || fail "$f holds '$s' (glibc's NSS or loader)"
	done
done
echo "static, no interpreter, no dynamic section, no nsswitch.conf/libnss_/libc.so.6/ld-linux"

step "reproducible: the same source built in another directory"
cache=$(sed -n 's/^PXPD_DEPS_CACHE:PATH=//p' "$build/CMakeCache.txt")
other=$(mktemp -d /tmp/pxpd-repro.XXXXXX)
trap 'rm -rf "$other"' EXIT
release_build "$other/b" -DPXPD_DEPS_CACHE="$cache"
for f in agent/pxpd agent/pxpd.stripped modules/puppet/pxp-module-puppet; do
	cmp "$build/$f" "$other/b/$f" || fail "$f differs between $build and $other/b"
	echo "same bytes: $f ($(sha256sum <"$build/$f" | cut -c1-16))"
done
strings -a "$build/agent/pxpd" | grep -q -e "$root" -e "$other" &&
	fail "a build path is in agent/pxpd"
rm -rf "$other"
trap - EXIT

step "host test broker and controller ($host)"
[ -f "$host/CMakeCache.txt" ] ||
	cmake -S . -B "$host" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$host" -j"$jobs" --target pcp-broker pcp-controller >/dev/null
hostabs=$(cd "$host" && pwd)
export BROKER_BIN="$hostabs/tests/broker/pcp-broker"
export CONTROLLER_BIN="$hostabs/tests/controller/pcp-controller"
export CA_SCRIPT="$root/tests/ca/make-ca.sh" PYTHONDONTWRITEBYTECODE=1

step "integration_core with the release pxpd"
PXPD_BIN="$(cd "$build" && pwd)/agent/pxpd" python3 tests/integration/test_core.py ||
	fail "integration_core failed with the release pxpd"

step "packages"
RELEASE_DIR="$(cd "$build" && pwd)" python3 tests/release/test_packages.py ||
	fail "package tests failed"
step "release tests passed"
