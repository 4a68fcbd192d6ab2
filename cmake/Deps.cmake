# Deps.cmake: the superbuild of pxpd's four libraries from pinned Debian
# source packages (cmake/deps.lock). Each is built static into a prefix of
# its own, ${PXPD_DEPS_PREFIX}/<name>, and exposed as an imported target:
#   pxpd::mbedtls  pxpd::uv  pxpd::cjson  pxpd::websockets
# Separate prefixes make a target that includes a library's header without
# linking (and so depending on) it fail every time, not only when a
# parallel build happens to order it wrong.
# The downloaded sources stay in PXPD_DEPS_CACHE, outside the build tree.
include(ExternalProject)

set(PXPD_DEPS_CACHE "${CMAKE_SOURCE_DIR}/.deps-cache" CACHE PATH
    "where the Debian source packages are kept between builds")
set(PXPD_DEPS_PREFIX "${CMAKE_BINARY_DIR}/deps")
set(_fetch "${CMAKE_SOURCE_DIR}/cmake/fetch-dep.sh")

# Flags every dependency is built with; cross builds pass their toolchain on.
set(_dep_args
    -DCMAKE_INSTALL_LIBDIR=lib
    -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON
    -DBUILD_SHARED_LIBS=OFF
    -DCMAKE_C_FLAGS=${PXPD_DEPS_ALL_C_FLAGS})
if(CMAKE_TOOLCHAIN_FILE)
  list(APPEND _dep_args -DCMAKE_TOOLCHAIN_FILE=${CMAKE_TOOLCHAIN_FILE})
endif()
if(PXPD_MUSL_ROOT)
  # the musl toolchains (cross/musl.cmake) build their C library once
  list(APPEND _dep_args -DPXPD_MUSL_ROOT=${PXPD_MUSL_ROOT})
endif()

function(pxpd_dep name pkg)
  cmake_parse_arguments(D "" "" "ARGS;BYPRODUCTS;DEPENDS;BUILD_COMMAND;INSTALL_COMMAND"
                        ${ARGN})
  set(steps "")
  if(D_BUILD_COMMAND)
    list(APPEND steps BUILD_COMMAND ${D_BUILD_COMMAND})
  endif()
  if(D_INSTALL_COMMAND)
    list(APPEND steps INSTALL_COMMAND ${D_INSTALL_COMMAND})
  endif()
  # The patch list is part of the command so a new patch re-extracts.
  file(GLOB patches CONFIGURE_DEPENDS
       ${CMAKE_SOURCE_DIR}/cmake/patches/${pkg}-*.patch)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${patches})
  set(patch_hash "")
  foreach(p ${patches})
    file(SHA256 ${p} h)
    string(APPEND patch_hash ${h})
  endforeach()
  string(SHA256 patch_hash "${patch_hash}")
  file(MAKE_DIRECTORY "${PXPD_DEPS_PREFIX}/${name}/include")
  ExternalProject_Add(dep_${name}
    PREFIX "${CMAKE_BINARY_DIR}/deps-build/${name}"
    SOURCE_DIR "${CMAKE_BINARY_DIR}/deps-src/${name}"
    DOWNLOAD_COMMAND sh ${_fetch} ${pkg} ${PXPD_DEPS_CACHE}
                     ${CMAKE_BINARY_DIR}/deps-src/${name} patches=${patch_hash}
    UPDATE_COMMAND ""
    CMAKE_ARGS -DCMAKE_INSTALL_PREFIX=${PXPD_DEPS_PREFIX}/${name}
               ${_dep_args} ${D_ARGS}
    ${steps}
    BUILD_BYPRODUCTS ${D_BYPRODUCTS}
    DEPENDS ${D_DEPENDS}
    # Lists inside ARGS use '|' (a ';' would split the argument).
    LIST_SEPARATOR |
    LOG_DOWNLOAD ON LOG_CONFIGURE ON LOG_BUILD ON LOG_INSTALL ON
    LOG_OUTPUT_ON_FAILURE ON)
endfunction()

function(pxpd_imported target dep)
  add_library(${target} STATIC IMPORTED GLOBAL)
  list(GET ARGN 0 first)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${first}"
    INTERFACE_INCLUDE_DIRECTORIES "${PXPD_DEPS_PREFIX}/${dep}/include")
  list(REMOVE_AT ARGN 0)
  if(ARGN)
    set_property(TARGET ${target} PROPERTY INTERFACE_LINK_LIBRARIES ${ARGN})
  endif()
  add_dependencies(${target} dep_${dep})
endfunction()

set(_mb ${PXPD_DEPS_PREFIX}/mbedtls)
set(_mbedtls_libs ${_mb}/lib/libmbedtls.a ${_mb}/lib/libmbedx509.a
                  ${_mb}/lib/libmbedcrypto.a)
pxpd_dep(mbedtls mbedtls
  ARGS -DENABLE_PROGRAMS=OFF -DENABLE_TESTING=OFF -DMBEDTLS_FATAL_WARNINGS=OFF
       -DUSE_SHARED_MBEDTLS_LIBRARY=OFF -DUSE_STATIC_MBEDTLS_LIBRARY=ON
  BYPRODUCTS ${_mbedtls_libs})

set(_uv ${PXPD_DEPS_PREFIX}/uv)
pxpd_dep(uv libuv1
  ARGS -DLIBUV_BUILD_TESTS=OFF -DLIBUV_BUILD_BENCH=OFF -DLIBUV_BUILD_SHARED=OFF
  BYPRODUCTS ${_uv}/lib/libuv.a)

set(_cj ${PXPD_DEPS_PREFIX}/cjson)
pxpd_dep(cjson cjson
  ARGS -DENABLE_CJSON_TEST=OFF -DENABLE_CJSON_UTILS=OFF -DENABLE_CUSTOM_COMPILER_FLAGS=OFF
       -DBUILD_SHARED_AND_STATIC_LIBS=OFF -DCJSON_BUILD_SHARED_LIBS=OFF
  BYPRODUCTS ${_cj}/lib/libcjson.a)

# lws needs mbedTLS's three libraries twice: LWS_MBEDTLS_LIBRARIES to link,
# and MBEDTLS_LIBRARY & co. for its mbedtls_* feature probes. Without the
# latter every probe fails silently (lws builds without ALPN, verify hooks
# and more): check deps-build/websockets/.../dep_websockets-configure-*.log.
# On Windows mbedTLS needs ws2_32 (inet_pton, sockets) and bcrypt
# (BCryptGenRandom) in both, or every probe fails to link.
set(_mbedcrypto_probe ${_mb}/lib/libmbedcrypto.a)
set(_mbedtls_link ${_mbedtls_libs})
if(WIN32)
  list(APPEND _mbedcrypto_probe ws2_32 bcrypt)
  list(APPEND _mbedtls_link ws2_32 bcrypt)
endif()
string(REPLACE ";" "|" _mbedtls_list "${_mbedtls_link}")
string(REPLACE ";" "|" _mbedcrypto_probe "${_mbedcrypto_probe}")
set(_ws ${PXPD_DEPS_PREFIX}/websockets)
# lws names its static library libwebsockets_static.a on WIN32 (its
# lib/CMakeLists.txt), libwebsockets.a elsewhere.
if(WIN32)
  set(_ws_lib ${_ws}/lib/libwebsockets_static.a)
else()
  set(_ws_lib ${_ws}/lib/libwebsockets.a)
endif()
pxpd_dep(websockets libwebsockets
  DEPENDS dep_mbedtls dep_uv
  ARGS -DLWS_WITH_MBEDTLS=ON -DLWS_WITH_SSL=ON
       -DLWS_MBEDTLS_INCLUDE_DIRS=${_mb}/include
       "-DLWS_MBEDTLS_LIBRARIES=${_mbedtls_list}"
       -DMBEDTLS_LIBRARY=${_mb}/lib/libmbedtls.a
       -DMBEDX509_LIBRARY=${_mb}/lib/libmbedx509.a
       "-DMBEDCRYPTO_LIBRARY=${_mbedcrypto_probe}"
       # forget probe results cached by an older, broken configure
       "-ULWS_HAVE_mbedtls_*"
       -DLWS_WITH_LIBUV=ON -DLWS_WITH_EVLIB_PLUGINS=OFF
       -DLWS_LIBUV_INCLUDE_DIRS=${_uv}/include
       -DLWS_LIBUV_LIBRARIES=${_uv}/lib/libuv.a
       -DLWS_HAVE_LIBCAP=0 -DLWS_WITH_STATIC=ON -DLWS_WITH_SHARED=OFF
       -DLWS_WITHOUT_TESTAPPS=ON -DLWS_WITHOUT_TEST_SERVER=ON
       -DLWS_WITH_MINIMAL_EXAMPLES=OFF -DLWS_WITH_ZLIB=OFF -DLWS_WITH_ZIP_FOPS=OFF
       -DLWS_WITH_SOCKS5=OFF -DLWS_IPV6=ON -DLWS_WITH_HTTP2=OFF
       -DLWS_WITH_EXTERNAL_POLL=OFF -DLWS_WITH_SYS_SMD=OFF
       -DLWS_WITH_SYS_ASYNC_DNS=OFF -DLWS_WITH_NETLINK=OFF
       -DLWS_WITH_CONMON=OFF -DLWS_WITH_TLS_SESSIONS=OFF
       -DLWS_WITH_CACHE_NSCOOKIEJAR=OFF
       -DLWS_SUPPRESS_DEPRECATED_API_WARNINGS=ON -DDISABLE_WERROR=ON
       # lws names its build after `git describe` run in its source dir,
       # which lies in pxpd's work tree: the binary would change with every
       # pxpd commit and differ between a git checkout and a tarball.
       -DCMAKE_DISABLE_FIND_PACKAGE_Git=TRUE
  BYPRODUCTS ${_ws_lib})

# The system libraries each one calls into. Windows: mbedTLS's
# net_sockets and entropy (ws2_32, bcrypt/advapi32), libuv's process,
# network and user calls, lws's sockets and its certificate store reads.
find_package(Threads REQUIRED)
if(WIN32)
  set(_mbedtls_sys ws2_32 bcrypt advapi32)
  set(_uv_sys psapi user32 advapi32 iphlpapi userenv ws2_32 dbghelp ole32
              shell32)
  set(_ws_sys ws2_32 userenv psapi iphlpapi crypt32)
  set(_cj_sys "")
else()
  set(_mbedtls_sys "")
  set(_uv_sys Threads::Threads ${CMAKE_DL_LIBS})
  set(_ws_sys "")
  set(_cj_sys m)
endif()
pxpd_imported(pxpd::mbedtls mbedtls ${_mbedtls_libs} ${_mbedtls_sys})
pxpd_imported(pxpd::uv uv ${_uv}/lib/libuv.a ${_uv_sys})
pxpd_imported(pxpd::cjson cjson ${_cj}/lib/libcjson.a ${_cj_sys})
pxpd_imported(pxpd::websockets websockets ${_ws_lib}
              pxpd::mbedtls pxpd::uv ${_ws_sys})

# cmocka, static, for the unit tests of builds that cannot link the host's
# libcmocka.so. Windows (tests/win/run.sh runs them under Wine): Debian
# has no mingw cmocka. Static (-static refuses a shared library), other
# cross and musl builds (the host's is x86_64 glibc): only its static
# library is built (cmocka 1.1.5 always builds a shared one too, which a
# static-only musl could not link).
set(PXPD_CMOCKA_BUNDLED OFF)
if(WIN32 AND PXPD_TESTS)
  set(PXPD_CMOCKA_BUNDLED ON)
  set(_cm ${PXPD_DEPS_PREFIX}/cmocka)
  pxpd_dep(cmocka cmocka
    ARGS -DWITH_STATIC_LIB=ON -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF
         -DPICKY_DEVELOPER=OFF
    BYPRODUCTS ${_cm}/lib/libcmocka-static.a)
  pxpd_imported(pxpd::cmocka cmocka ${_cm}/lib/libcmocka-static.a)
elseif(PXPD_TESTS AND (PXPD_FULL_STATIC OR CMAKE_CROSSCOMPILING OR PXPD_MUSL_ROOT))
  set(PXPD_CMOCKA_BUNDLED ON)
  set(_cm ${PXPD_DEPS_PREFIX}/cmocka)
  pxpd_dep(cmocka cmocka
    ARGS -DWITH_STATIC_LIB=ON -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF
    BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR> --target cmocka-static
    INSTALL_COMMAND ${CMAKE_COMMAND} -E copy <BINARY_DIR>/src/libcmocka-static.a
                    ${_cm}/lib/libcmocka.a
            COMMAND ${CMAKE_COMMAND} -E copy <SOURCE_DIR>/include/cmocka.h
                    ${_cm}/include/cmocka.h
    BYPRODUCTS ${_cm}/lib/libcmocka.a)
  pxpd_imported(pxpd::cmocka cmocka ${_cm}/lib/libcmocka.a)
endif()
