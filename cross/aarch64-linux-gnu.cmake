# Cross build for 64-bit ARM Linux (Debian: gcc-aarch64-linux-gnu,
# libc6-dev-arm64-cross). cmake/Deps.cmake hands this file on to the four
# dependencies, so they are cross-built with the same compiler.
# Run the result under qemu-user (see cross/README.md):
#   qemu-aarch64 -L /usr/aarch64-linux-gnu build-aarch64/agent/pxpd --version
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
# Debian's cross gcc already searches /usr/aarch64-linux-gnu; find_* must
# look only there for libraries, headers and packages (never the host's
# x86 ones) but may run host programs (git, perl).
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Used by try_run and add_test; without binfmt_misc the target's dynamic
# loader must be named with -L.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64;-L;/usr/aarch64-linux-gnu)
