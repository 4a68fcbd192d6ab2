#!/bin/sh
# run-tests.sh: every test of pxpd, as CI runs them (.ci/run):
#   0. the layout check (tests/check-layout.py: who may include whom, no
#      POSIX header in shared code), before anything is built;
#   1. unit + integration tests (ctest) on the default build;
#   2. the same suite under AddressSanitizer + UBSan;
#   3. the libFuzzer harnesses for a bounded time (clang);
#   4. unit tests and a core integration run under valgrind;
#   5. the Windows build (mingw-w64), its unit tests, the smoke test,
#      actions, the service and the MSI under Wine (tests/win/run.sh);
#   6. the release binary (static, musl): size, no NSS, reproducible,
#      integration_core with it, its .deb and .rpm (tests/release/run.sh);
#   7. the aarch64 release build: its unit tests and a loopback session
#      under qemu-user (cross/build-aarch64.sh --release).
# Build trees: build/, build-asan/, build-fuzz/, build-mingw/ (tests/win),
# build-release/, build-aarch64-release/ (reused when present).
set -eu
cd "$(dirname "$0")/.."
sh tests/setup-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

step() { printf '\n==== %s ====\n' "$*"; }

step "layout check (agent/README.md's arrows; allowed: tests/layout-allow.txt)"
python3 tests/check-layout.py
python3 tests/check-layout-test.py -q

step "default build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"

step "ASan + UBSan build"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPXPD_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"

step "fuzz build (clang, libFuzzer)"
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DPXPD_FUZZ=ON \
	-DCMAKE_C_COMPILER=clang >/dev/null
cmake --build build-fuzz -j"$jobs"

step "ASan + UBSan: unit and integration tests"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 PXPD_TEST_SLOW=3 \
	ctest --test-dir build-asan --output-on-failure -j2 -E '^fuzz_'

step "fuzzing (bounded)"
ctest --test-dir build-fuzz --output-on-failure -R '^fuzz_'

step "valgrind: unit tests and core integration"
PXPD_VALGRIND=1 ctest --test-dir build --output-on-failure -R '^valgrind_'

step "default build: every test"
ctest --test-dir build --output-on-failure -j2 -E '^(fuzz|valgrind)_'

step "Windows: mingw-w64 build; unit, smoke, actions, service and MSI tests under Wine"
sh tests/win/run.sh

step "release binary and packages (tests/release/run.sh)"
sh tests/release/run.sh

step "aarch64 release build, unit tests and a session under qemu-user"
sh cross/build-aarch64.sh --release
