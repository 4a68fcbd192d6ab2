#!/bin/sh
# build-aarch64.sh: cross-builds pxpd for 64-bit ARM Linux and proves it
# under qemu-user on an x86-64 Debian 12 host: --version, then a real
# session through the x86 test broker (echo, a blocking and a non-blocking
# `command run`, which exercise the action wrapper, and a status query of
# the non-blocking one). With --release it builds the release configuration
# (static, musl: cross/aarch64-linux-musl.cmake) with its unit tests and
# runs them under qemu first; tests/run-tests.sh runs that form.
# As root it installs the cross packages; otherwise it names them and fails.
# Exits non-zero on any failure and keeps the session dir for a look.
#
# Usage: cross/build-aarch64.sh [--static | --release] [--no-smoke]
#   --static    PXPD_FULL_STATIC=ON (glibc), in build-aarch64-static/
#   --release   PXPD_RELEASE=ON (musl) and the unit tests under qemu, in
#               build-aarch64-release/
#   --no-smoke  build only (a binary to install: no qemu shim as wrapper;
#               with --release, no tests either)
# Env: BUILD_DIR (default build-aarch64[-static|-release]), HOST_BUILD
#   (default build: where the x86 pcp-broker and pcp-controller are built).
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)

flavour=dynamic
smoke=1
for a in "$@"; do
	case $a in
	--static) flavour=static ;;
	--release) flavour=release ;;
	--no-smoke) smoke=0 ;;
	*)
		echo "usage: $0 [--static | --release] [--no-smoke]" >&2
		exit 2
		;;
	esac
done
case $flavour in
dynamic)
	build=${BUILD_DIR:-build-aarch64}
	config="-DCMAKE_TOOLCHAIN_FILE=$root/cross/aarch64-linux-gnu.cmake -DPXPD_TESTS=OFF"
	;;
static)
	build=${BUILD_DIR:-build-aarch64-static}
	config="-DCMAKE_TOOLCHAIN_FILE=$root/cross/aarch64-linux-gnu.cmake -DPXPD_TESTS=OFF -DPXPD_FULL_STATIC=ON"
	;;
release)
	build=${BUILD_DIR:-build-aarch64-release}
	tests=ON
	[ $smoke = 1 ] || tests=OFF
	config="-DCMAKE_TOOLCHAIN_FILE=$root/cross/aarch64-linux-musl.cmake -DPXPD_RELEASE=ON -DPXPD_TESTS=$tests"
	;;
esac
host=${HOST_BUILD:-build}
jobs=$(nproc 2>/dev/null || echo 2)
t0=$(date +%s)

step() { printf '==== %s (%s s)\n' "$*" $(($(date +%s) - t0)); }
fail() {
	printf "build-aarch64: %s\n" "$*" >&2
	exit 1
}

# ---- packages -----------------------------------------------------------
sh tests/setup-deps.sh
pkgs="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || fail "needs, as root: apt-get install -y$missing"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

# ---- build --------------------------------------------------------------
# pxpd starts each action's wrapper by exec'ing its own binary. Without
# binfmt_misc the kernel cannot run an AArch64 ELF (and glibc's execvp then
# hands it to /bin/sh), so for the smoke test the wrapper goes through
# qemu too: the build's pxpd-emu shim (`exec qemu-aarch64 [-L sysroot]
# agent/pxpd "$@"`, made by CMakeLists.txt from the toolchain's emulator),
# named at build time (PXPD_WRAPPER_PATH; no environment variable may
# choose what runs as root). Such a binary is for qemu only: --no-smoke
# builds one to install.
mkdir -p "$build"
buildabs=$(cd "$build" && pwd)
bin=$buildabs/agent/pxpd
shim=$buildabs/pxpd-emu
wrapper=
[ $smoke = 1 ] && wrapper=$shim
step "cross build ($build, $flavour, PXPD_WRAPPER_PATH=$wrapper)"
# shellcheck disable=SC2086
cmake -S . -B "$build" $config -DPXPD_WRAPPER_PATH="$wrapper" >/dev/null
cmake --build "$build" -j"$jobs" >"$buildabs/build.log" 2>&1 || {
	tail -n 40 "$buildabs/build.log" >&2
	fail "build failed (all of it in $buildabs/build.log)"
}
grep "release binary" "$buildabs/build.log" || true
aarch64-linux-gnu-readelf -h "$bin" | grep -q 'Machine:.*AArch64' ||
	fail "$bin is not an AArch64 ELF"
aarch64-linux-gnu-strip -o "$bin.stripped" "$bin"
echo "pxpd: $(stat -c %s "$bin") bytes, stripped $(stat -c %s "$bin.stripped")"
[ $smoke = 1 ] || exit 0

if [ $flavour = release ]; then
	step "unit tests under qemu-aarch64"
	ctest --test-dir "$build" -j"$jobs" --output-on-failure ||
		fail "unit tests failed under qemu"
fi

# ---- smoke test under qemu-user ----------------------------------------
step "qemu: pxpd --version"
version=$("$shim" --version) || fail "--version failed"
echo "$version"
case $version in
"pxpd "[0-9]*) ;;
*) fail "unexpected --version output" ;;
esac

step "host test broker and controller ($host)"
[ -f "$host/CMakeCache.txt" ] ||
	cmake -S . -B "$host" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$host" -j"$jobs" --target pcp-broker pcp-controller >/dev/null

demo=$(mktemp -d /tmp/pxpd-aarch64.XXXXXX)
ca=$demo/ca
sh tests/ca/make-ca.sh "$ca" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ok=0
cleanup() {
	[ -n "${agent:-}" ] && kill "$agent" 2>/dev/null
	[ -n "${broker:-}" ] && kill "$broker" 2>/dev/null
	wait 2>/dev/null || true
	if [ $ok = 1 ]; then
		rm -rf "$demo"
	else
		echo "build-aarch64: session kept in $demo" >&2
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$host/tests/broker/pcp-broker" --host 127.0.0.1 --port "$port" \
	--cert "$ca/broker.pem" --key "$ca/broker_key.pem" --ca "$ca/ca.pem" \
	--crl "$ca/crl.pem" 2>"$demo/broker.log" &
broker=$!

cat >"$demo/pxpd.conf" <<CONF
{
  "broker-ws-uris": ["wss://localhost:$port/pcp/"],
  "ssl-ca-cert": "$ca/ca.pem",
  "ssl-cert": "$ca/agent01.pem",
  "ssl-key": "$ca/agent01_key.pem",
  "ssl-crl": "$ca/crl.pem",
  "logfile": "$demo/pxpd.log",
  "spool-dir": "$demo/spool",
  "task-cache-dir": "$demo/tasks-cache",
  "modules-dir": "$demo/modules",
  "modules-config-dir": "$demo/modules.d",
  "pidfile": "$demo/pxpd.pid",
  "connect-splay": 0
}
CONF
mkdir -p "$demo/modules"

step "qemu: pxpd session against the x86 test broker"
sleep 0.3
# The shim execs qemu-aarch64, so $! is the process cleanup must stop.
"$shim" --config-file "$demo/pxpd.conf" --foreground >"$demo/pxpd.out" 2>&1 &
agent=$!
i=0
until grep -q "associated with" "$demo/pxpd.log" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 300 ]; then
		cat "$demo/pxpd.log" "$demo/pxpd.out" >&2 2>/dev/null || true
		fail "pxpd did not associate within 30 s"
	fi
	kill -0 "$agent" 2>/dev/null || {
		cat "$demo/pxpd.log" "$demo/pxpd.out" >&2 2>/dev/null || true
		fail "pxpd exited"
	}
	sleep 0.1
done

ctl() {
	"$host/tests/controller/pcp-controller" --broker "wss://localhost:$port" \
		--cert "$ca/controller.pem" --key "$ca/controller_key.pem" \
		--ca "$ca/ca.pem" --target pcp://agent01.example/agent "$@"
}
# expect LABEL PATTERN OUTPUT: OUTPUT's last line must hold PATTERN.
expect() {
	last=$(printf '%s\n' "$3" | tail -n 1)
	printf '%s: %s\n' "$1" "$last"
	case $last in
	*"$2"*) ;;
	*) fail "$1: no '$2' in the reply" ;;
	esac
}

token="hello from aarch64 $$"
out=$(ctl --module echo --action echo --params "{\"argument\":\"$token\"}") ||
	fail "echo: controller failed"
expect echo "\"results\":{\"outcome\":\"$token\"}" "$out"

arch=$(uname -m)
out=$(ctl --module command --action run --params '{"command":"uname -m"}') ||
	fail "command run: controller failed"
expect "command run" "\"exitcode\":0,\"stdout\":\"$arch\\n\"" "$out"

tid=aarch64-nb-$$
out=$(ctl --module command --action run --non-blocking --transaction-id "$tid" \
	--params '{"command":"uname -m"}') ||
	fail "command run --non-blocking: controller failed"
expect "command run (non-blocking)" "\"exitcode\":0,\"stdout\":\"$arch\\n\"" "$out"
case $out in
*rpc_non_blocking_response*) ;;
*) fail "command run (non-blocking): no rpc_non_blocking_response" ;;
esac

out=$(ctl --module status --action query --params "{\"transaction_id\":\"$tid\"}") ||
	fail "status query: controller failed"
expect "status query" "\"status\":\"success\"" "$out"

ok=1
step "aarch64 ($flavour) passed"
