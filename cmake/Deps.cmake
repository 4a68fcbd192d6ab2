# Deps.cmake: the superbuild of pxpd's four libraries from pinned Debian
# source packages (cmake/deps.lock). Each is built static into
# ${PXPD_DEPS_PREFIX} and exposed as an imported target:
#   pxpd::mbedtls  pxpd::uv  pxpd::cjson  pxpd::websockets
# The downloaded sources stay in PXPD_DEPS_CACHE, outside the build tree.
include(ExternalProject)

set(PXPD_DEPS_CACHE "${CMAKE_SOURCE_DIR}/.deps-cache" CACHE PATH
    "where the Debian source packages are kept between builds")
set(PXPD_DEPS_PREFIX "${CMAKE_BINARY_DIR}/deps")
set(_fetch "${CMAKE_SOURCE_DIR}/cmake/fetch-dep.sh")
set(_inc "${PXPD_DEPS_PREFIX}/include")
set(_lib "${PXPD_DEPS_PREFIX}/lib")
file(MAKE_DIRECTORY "${_inc}")

# Flags every dependency is built with; cross builds pass their toolchain on.
set(_dep_args
    -DCMAKE_INSTALL_PREFIX=${PXPD_DEPS_PREFIX}
    -DCMAKE_INSTALL_LIBDIR=lib
    -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON
    -DBUILD_SHARED_LIBS=OFF
    -DCMAKE_C_FLAGS=${PXPD_DEPS_C_FLAGS})
if(CMAKE_TOOLCHAIN_FILE)
  list(APPEND _dep_args -DCMAKE_TOOLCHAIN_FILE=${CMAKE_TOOLCHAIN_FILE})
endif()

function(pxpd_dep name pkg)
  cmake_parse_arguments(D "" "" "ARGS;BYPRODUCTS;DEPENDS" ${ARGN})
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
  ExternalProject_Add(dep_${name}
    PREFIX "${CMAKE_BINARY_DIR}/deps-build/${name}"
    SOURCE_DIR "${CMAKE_BINARY_DIR}/deps-src/${name}"
    DOWNLOAD_COMMAND sh ${_fetch} ${pkg} ${PXPD_DEPS_CACHE}
                     ${CMAKE_BINARY_DIR}/deps-src/${name} patches=${patch_hash}
    UPDATE_COMMAND ""
    CMAKE_ARGS ${_dep_args} ${D_ARGS}
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
    INTERFACE_INCLUDE_DIRECTORIES "${_inc}")
  list(REMOVE_AT ARGN 0)
  if(ARGN)
    set_property(TARGET ${target} PROPERTY INTERFACE_LINK_LIBRARIES ${ARGN})
  endif()
  add_dependencies(${target} ${dep})
endfunction()

set(_mbedtls_libs ${_lib}/libmbedtls.a ${_lib}/libmbedx509.a ${_lib}/libmbedcrypto.a)
pxpd_dep(mbedtls mbedtls
  ARGS -DENABLE_PROGRAMS=OFF -DENABLE_TESTING=OFF -DMBEDTLS_FATAL_WARNINGS=OFF
       -DUSE_SHARED_MBEDTLS_LIBRARY=OFF -DUSE_STATIC_MBEDTLS_LIBRARY=ON
  BYPRODUCTS ${_mbedtls_libs})

pxpd_dep(uv libuv1
  ARGS -DLIBUV_BUILD_TESTS=OFF -DLIBUV_BUILD_BENCH=OFF
  BYPRODUCTS ${_lib}/libuv_a.a)

pxpd_dep(cjson cjson
  ARGS -DENABLE_CJSON_TEST=OFF -DENABLE_CJSON_UTILS=OFF -DENABLE_CUSTOM_COMPILER_FLAGS=OFF
       -DBUILD_SHARED_AND_STATIC_LIBS=OFF -DCJSON_BUILD_SHARED_LIBS=OFF
  BYPRODUCTS ${_lib}/libcjson.a)

# All three libraries must reach lws: its CHECK_FUNCTION_EXISTS probes link
# with this list, and a probe that fails to link leaves LWS_HAVE_mbedtls_*
# undefined (then SSL_get0_alpn_selected returns garbage and lws crashes).
string(REPLACE ";" "|" _mbedtls_list "${_mbedtls_libs}")
pxpd_dep(websockets libwebsockets
  DEPENDS dep_mbedtls dep_uv
  ARGS -DLWS_WITH_MBEDTLS=ON -DLWS_WITH_SSL=ON
       -DLWS_MBEDTLS_INCLUDE_DIRS=${_inc}
       "-DLWS_MBEDTLS_LIBRARIES=${_mbedtls_list}"
       # forget probe results cached by an older, broken configure
       "-ULWS_HAVE_mbedtls_*"
       -DLWS_WITH_LIBUV=ON -DLWS_WITH_EVLIB_PLUGINS=OFF
       -DLIBUV_INCLUDE_DIRS=${_inc} -DLIBUV_LIBRARIES=${_lib}/libuv_a.a
       -DLWS_HAVE_LIBCAP=0 -DLWS_WITH_STATIC=ON -DLWS_WITH_SHARED=OFF
       -DLWS_WITHOUT_TESTAPPS=ON -DLWS_WITHOUT_TEST_SERVER=ON
       -DLWS_WITH_MINIMAL_EXAMPLES=OFF -DLWS_WITH_ZLIB=OFF -DLWS_WITH_ZIP_FOPS=OFF
       -DLWS_WITH_SOCKS5=OFF -DLWS_IPV6=ON -DLWS_WITH_HTTP2=OFF
       -DLWS_WITH_EXTERNAL_POLL=OFF -DLWS_WITH_SYS_SMD=OFF
       -DLWS_SUPPRESS_DEPRECATED_API_WARNINGS=ON -DDISABLE_WERROR=ON
  BYPRODUCTS ${_lib}/libwebsockets.a)

find_package(Threads REQUIRED)
pxpd_imported(pxpd::mbedtls dep_mbedtls ${_mbedtls_libs})
pxpd_imported(pxpd::uv dep_uv ${_lib}/libuv_a.a Threads::Threads ${CMAKE_DL_LIBS})
pxpd_imported(pxpd::cjson dep_cjson ${_lib}/libcjson.a m)
pxpd_imported(pxpd::websockets dep_websockets ${_lib}/libwebsockets.a pxpd::mbedtls pxpd::uv)
