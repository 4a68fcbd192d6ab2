# x86_64 Linux with musl, for the release build (-DPXPD_RELEASE=ON picks
# it on an x86_64 host). Not a cross build: the tests that run pxpd run
# it directly. cross/musl.cmake says how musl comes in.
set(PXPD_MUSL_ARCH x86_64)
include(${CMAKE_CURRENT_LIST_DIR}/musl.cmake)
