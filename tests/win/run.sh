#!/bin/sh
# tests/win/run.sh: the Windows part of the tests, under Wine on Debian:
# builds the mingw tree (build-mingw/: pxpd.exe and the portable unit
# tests) and the native broker and controller (build/), starts a private
# Wine prefix, runs the unit tests (ctest through wine64), then the smoke
# test (tests/win/smoke.py: pxpd.exe against the Linux test broker over
# mutual TLS, PCP v1 and v2), then the actions, the service and the MSI
# (tests/win/actions.py; the MSI from packaging/windows/build-msi.sh).
# Exits non-zero on any failure.
#
#   sh tests/win/run.sh            # as root it installs what is missing
#   PXPD_KEEP=1 sh tests/win/run.sh   # keep the prefix and test dirs
#
# Wine pitfalls handled here (../shared/notes/windows-under-wine.md): the
# prefix is private and kept up with `wineserver -p` (else it shuts down
# 3 s after its last process), its background processes are started
# before ctest so they never hold ctest's pipes, and only our own prefix
# is stopped at the end.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
start=$(date +%s)

sh tests/setup-deps.sh

native=${PXPD_NATIVE_BUILD:-build}
mingw=${PXPD_MINGW_BUILD:-build-mingw}
cache=${PXPD_DEPS_CACHE:-$root/.deps-cache}
jobs=${PXPD_JOBS:-2}

echo "== native broker and controller ($native)"
[ -f "$native/CMakeCache.txt" ] ||
	cmake -S . -B "$native" -DPXPD_DEPS_CACHE="$cache" >/dev/null
nice cmake --build "$native" -j"$jobs" --target pcp-broker pcp-controller \
	>/dev/null

echo "== mingw build ($mingw)"
cmake -S . -B "$mingw" -DPXPD_TESTS=ON -DPXPD_DEPS_CACHE="$cache" \
	-DCMAKE_TOOLCHAIN_FILE="$root/cross/mingw-w64-x86_64.cmake" >/dev/null
nice cmake --build "$mingw" -j"$jobs" >/dev/null
msi=$(sh packaging/windows/build-msi.sh "$mingw" 2>/dev/null | tail -1)
# The upgrade test's "newer" MSI: ProductVersion's last part one up, a
# marked pxpd.exe (other bytes, so another copy under bin\).
v=$(sed -n 's/^project(pxpd VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
msi_next=$(PXPD_MSI_VERSION=${v%.*}.$((${v##*.} + 1)) PXPD_MSI_MARK=pxpd-upgrade-test \
	sh packaging/windows/build-msi.sh "$mingw" "$mingw/pxpd-next-x64.msi" 2>/dev/null | tail -1)
build_done=$(date +%s)

# Debian's wine64 has no /usr/bin/wine64.
PATH=/usr/lib/wine:$PATH
WINEDEBUG=-all
WINEPREFIX=$(mktemp -d "${TMPDIR:-/tmp}/pxpd-wine-XXXXXX")/prefix
export PATH WINEDEBUG WINEPREFIX
unset DISPLAY

cleanup() {
	rc=$?
	wineserver -k 2>/dev/null || true
	if [ -n "${PXPD_KEEP:-}" ]; then
		echo "kept $WINEPREFIX"
	else
		rm -rf "$(dirname "$WINEPREFIX")"
	fi
	exit $rc
}
trap cleanup EXIT INT TERM

echo "== Wine prefix $WINEPREFIX"
# Its syswow64 rundll32 c0000135 complaint is harmless (64-bit only).
wine64 wineboot -i </dev/null >/dev/null 2>&1 || true
wineserver -w
wineserver -p
# The prefix's services start here, on /dev/null, not inside ctest.
wine64 cmd /c exit </dev/null >/dev/null 2>&1
# Wine's powershell.exe is a stub that runs nothing and exits 0: without
# it the prefix is a Windows without Windows PowerShell (Server Core),
# where `command run` goes through cmd.exe /d /c (os/win/shell.c) and
# the "powershell" task feature is not claimed.
rm -f "$WINEPREFIX/drive_c/windows/system32/WindowsPowerShell/v1.0/powershell.exe"
prefix_done=$(date +%s)

echo "== unit tests under Wine"
ctest --test-dir "$mingw" -j"$jobs" --timeout 300 --output-on-failure
unit_done=$(date +%s)

echo "== smoke test under Wine"
WINE=wine64 PXPD_EXE="$mingw/agent/pxpd.exe" \
PUPPET_MODULE_EXE="$mingw/modules/puppet/pxp-module-puppet.exe" \
BROKER_BIN="$native/tests/broker/pcp-broker" \
CONTROLLER_BIN="$native/tests/controller/pcp-controller" \
CA_SCRIPT="$root/tests/ca/make-ca.sh" PYTHONDONTWRITEBYTECODE=1 \
	python3 tests/win/smoke.py
smoke_done=$(date +%s)

echo "== actions under Wine"
WINE=wine64 PXPD_EXE="$mingw/agent/pxpd.exe" \
PUPPET_MODULE_EXE="$mingw/modules/puppet/pxp-module-puppet.exe" \
BROKER_BIN="$native/tests/broker/pcp-broker" \
CONTROLLER_BIN="$native/tests/controller/pcp-controller" \
CA_SCRIPT="$root/tests/ca/make-ca.sh" PYTHONDONTWRITEBYTECODE=1 \
PXPD_MSI="$msi" PXPD_MSI_NEXT="$msi_next" \
	python3 tests/win/actions.py
end=$(date +%s)

echo "== tests/win/run.sh passed: $((end - start)) s (build $((build_done - start)) s," \
	"prefix $((prefix_done - build_done)) s, unit $((unit_done - prefix_done)) s," \
	"smoke $((smoke_done - unit_done)) s, actions $((end - smoke_done)) s)"
