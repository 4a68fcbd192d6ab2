#!/bin/sh
# Benchmarks: builds the default and the full-static pxpd, then prints the
# figures of tests/bench/bench.py (and, when present, tests/bench/*.py).
set -eu
cd "$(dirname "$0")/../.."
sh tests/setup-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 >/dev/null
cmake -S . -B build-static -DCMAKE_BUILD_TYPE=Release -DPXPD_FULL_STATIC=ON -DPXPD_TESTS=OFF >/dev/null
cmake --build build-static -j2 --target pxpd >/dev/null
export PXPD_BIN=$PWD/build/agent/pxpd
export PXPD_STATIC_BIN=$PWD/build-static/agent/pxpd
export BROKER_BIN=$PWD/build/tests/broker/pcp-broker
export CONTROLLER_BIN=$PWD/build/tests/controller/pcp-controller
export CA_SCRIPT=$PWD/tests/ca/make-ca.sh
for b in tests/bench/bench*.py; do
	python3 "$b"
done
