# 64-bit ARM Linux with musl, for the aarch64 release build
# (cross/build-aarch64.sh --release): Debian's gcc-aarch64-linux-gnu with
# musl built for it (cross/musl.cmake). Run under qemu-user: the binaries
# are static, so qemu-aarch64 needs no -L.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(PXPD_MUSL_ARCH aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/musl.cmake)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)
