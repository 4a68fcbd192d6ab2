#!/bin/sh
# tests/fleet/run.sh N [options]: N pxpd agents against the test broker,
# a broker restart, the reconnection histogram (see tests/fleet/README.md).
# Uses build/ (or PXPD_BIN, BROKER_BIN, CONTROLLER_BIN), building it when
# missing.
set -eu
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build}
if [ -z "${PXPD_BIN:-}" ] || [ -z "${BROKER_BIN:-}" ] || [ -z "${CONTROLLER_BIN:-}" ]; then
	if [ ! -x "$build/agent/pxpd" ] || [ ! -x "$build/tests/broker/pcp-broker" ] ||
	    [ ! -x "$build/tests/controller/pcp-controller" ]; then
		cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
		nice cmake --build "$build" -j2 --target pxpd pcp-broker pcp-controller >/dev/null
	fi
fi
export PXPD_BIN="${PXPD_BIN:-$PWD/$build/agent/pxpd}"
export BROKER_BIN="${BROKER_BIN:-$PWD/$build/tests/broker/pcp-broker}"
export CONTROLLER_BIN="${CONTROLLER_BIN:-$PWD/$build/tests/controller/pcp-controller}"
export CA_SCRIPT="${CA_SCRIPT:-$PWD/tests/ca/make-ca.sh}"
export PYTHONDONTWRITEBYTECODE=1
exec python3 tests/fleet/run.py "$@"
