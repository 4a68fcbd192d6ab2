# musl.cmake: the part of the musl toolchain files (x86_64-linux-musl.cmake,
# aarch64-linux-musl.cmake) they share; they set PXPD_MUSL_ARCH first.
# The C library is Debian 12's musl (cmake/deps.lock), built from source
# for the target by cmake/musl-build.sh into <build>/musl the first time a
# build tree is configured (about 20 s), so both architectures get the
# same musl whatever the host has. CMake then compiles through musl's own
# gcc wrapper (bin/musl-gcc: Debian's <arch>-linux-gnu-gcc with musl's
# headers and libraries instead of glibc's). The dependencies
# (cmake/Deps.cmake) and try_compile are handed the same PXPD_MUSL_ROOT.
if(NOT PXPD_MUSL_ROOT)
  set(PXPD_MUSL_ROOT "${CMAKE_BINARY_DIR}/musl" CACHE PATH
      "musl for the target, built by cmake/musl-build.sh")
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES PXPD_MUSL_ROOT)

if(NOT EXISTS "${PXPD_MUSL_ROOT}/bin/musl-gcc")
  if(PXPD_DEPS_CACHE)
    set(_musl_cache "${PXPD_DEPS_CACHE}")
  else()
    set(_musl_cache "${CMAKE_CURRENT_LIST_DIR}/../.deps-cache")
  endif()
  message(STATUS "Building musl for ${PXPD_MUSL_ARCH} in ${PXPD_MUSL_ROOT}")
  execute_process(
    COMMAND sh "${CMAKE_CURRENT_LIST_DIR}/../cmake/musl-build.sh"
            ${PXPD_MUSL_ARCH} "${PXPD_MUSL_ROOT}" "${_musl_cache}"
    RESULT_VARIABLE _musl_rc)
  if(NOT _musl_rc EQUAL 0)
    message(FATAL_ERROR "cmake/musl-build.sh failed (${_musl_rc})")
  endif()
endif()

set(CMAKE_C_COMPILER "${PXPD_MUSL_ROOT}/bin/musl-gcc")
# binutils of the target's GNU triplet (CMake would look for musl-ar, after
# the wrapper's name).
set(CMAKE_AR ${PXPD_MUSL_ARCH}-linux-gnu-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${PXPD_MUSL_ARCH}-linux-gnu-ranlib CACHE FILEPATH "")
set(CMAKE_STRIP ${PXPD_MUSL_ARCH}-linux-gnu-strip CACHE FILEPATH "")
set(CMAKE_OBJCOPY ${PXPD_MUSL_ARCH}-linux-gnu-objcopy CACHE FILEPATH "")
# Libraries and headers only from musl's tree, never the host's glibc ones.
set(CMAKE_FIND_ROOT_PATH "${PXPD_MUSL_ROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
