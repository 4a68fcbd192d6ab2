#!/bin/sh
# build-msi.sh: packaging/windows/pxpd.wxs -> pxpd-<version>-x64.msi with
# Debian's wixl (apt-get install wixl). wixl ignores Platform= (-a x64)
# and wants sources relative to where it runs: it runs from the root.
#   sh packaging/windows/build-msi.sh [build-mingw [out.msi]]
# PXPD_MSI_VERSION overrides the ProductVersion and PXPD_MSI_MARK, when
# set, is appended to the staged pxpd.exe (PE overlay bytes, run as the
# same program): tests/win's upgrade test builds a "newer" MSI so.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
build=${1:-build-mingw}
version=${PXPD_MSI_VERSION:-$(sed -n 's/^project(pxpd VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)}
out=${2:-$build/pxpd-$version-x64.msi}
# The binaries go in stripped (the build's keep their debug info).
stage=$build/msi-stage-$version
mkdir -p "$stage"
strip=${STRIP:-x86_64-w64-mingw32-strip}
"$strip" -o "$stage/pxpd.exe" "$build/agent/pxpd.exe"
[ -z "${PXPD_MSI_MARK:-}" ] || printf '%s\n' "$PXPD_MSI_MARK" >>"$stage/pxpd.exe"
"$strip" -o "$stage/pxp-module-puppet.exe" "$build/modules/puppet/pxp-module-puppet.exe"
wixl -a x64 -o "$out" \
	-D Version="$version" \
	-D PxpdExe="$stage/pxpd.exe" \
	-D ModuleExe="$stage/pxp-module-puppet.exe" \
	-D ConfigTemplate="packaging/windows/pxp-agent.conf.template" \
	packaging/windows/pxpd.wxs
echo "$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
