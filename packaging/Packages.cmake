# Packages.cmake: where `cmake --install` puts pxpd's files, and the .deb
# and .rpm CPack makes of them (packaging/README.md). With
# CMAKE_INSTALL_PREFIX=/usr (the release build's default) GNUInstallDirs
# puts the configuration in /etc and the state in /var.
include(GNUInstallDirs)
set(_pk ${CMAKE_SOURCE_DIR}/packaging)
set(_out ${CMAKE_BINARY_DIR}/packaging)
set(_etc ${CMAKE_INSTALL_FULL_SYSCONFDIR})
set(_var ${CMAKE_INSTALL_FULL_LOCALSTATEDIR})
set(_doc ${CMAKE_INSTALL_DATAROOTDIR}/doc/pxpd)

install(FILES ${_pk}/systemd/pxpd.service DESTINATION lib/systemd/system)
install(FILES ${_pk}/tmpfiles/pxpd.conf DESTINATION lib/tmpfiles.d)
install(FILES ${_pk}/systemd/pxpd.default DESTINATION ${_etc}/default RENAME pxpd)
install(FILES ${_pk}/logrotate.pxpd DESTINATION ${_etc}/logrotate.d RENAME pxpd)
install(FILES ${_pk}/pxpd.conf DESTINATION ${_etc}/pxpd)
install(DIRECTORY DESTINATION ${_etc}/pxpd/modules)
# The same modes as tmpfiles.d/pxpd.conf gives them.
install(DIRECTORY DESTINATION ${_var}/lib/pxpd
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
install(DIRECTORY DESTINATION ${_var}/log/pxpd
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
                              GROUP_READ GROUP_EXECUTE)

# The man page and the Debian changelog, compressed without a time stamp
# (gzip -n); the copyright file with the licence of every library linked
# in, taken from their sources.
set(_lic ${CMAKE_BINARY_DIR}/deps-src)
# (mbed TLS's is in copyright.head: Debian refers to its common-licenses)
set(_licences "libwebsockets=${_lic}/websockets/LICENSE"
              "libuv=${_lic}/uv/LICENSE" "libuv (LICENSE-extra)=${_lic}/uv/LICENSE-extra"
              "cJSON=${_lic}/cjson/LICENSE")
if(PXPD_MUSL_ROOT)
  list(APPEND _licences "musl=${PXPD_MUSL_ROOT}/COPYRIGHT")
endif()
string(REPLACE ";" "|" _licences "${_licences}")
add_custom_command(
  OUTPUT ${_out}/pxpd.8.gz ${_out}/changelog.Debian.gz ${_out}/copyright
  COMMAND ${CMAKE_COMMAND} -E make_directory ${_out}
  COMMAND sh -c "gzip -9n <'${_pk}/pxpd.8' >'${_out}/pxpd.8.gz'"
  COMMAND sh -c "gzip -9n <'${_pk}/changelog.Debian' >'${_out}/changelog.Debian.gz'"
  COMMAND ${CMAKE_COMMAND} "-DHEAD=${_pk}/copyright.head" "-DOUT=${_out}/copyright"
          "-DLICENCES=${_licences}" -P ${_pk}/copyright.cmake
  DEPENDS ${_pk}/pxpd.8 ${_pk}/changelog.Debian ${_pk}/copyright.head
          ${_pk}/copyright.cmake pxpd
  VERBATIM)
add_custom_target(pxpd_package_docs ALL DEPENDS ${_out}/pxpd.8.gz)
install(FILES ${_out}/pxpd.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${_out}/changelog.Debian.gz ${_out}/copyright DESTINATION ${_doc})
install(FILES ${_pk}/deb/lintian-overrides DESTINATION
        ${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides RENAME pxpd)

# ---- CPack: `cpack -G DEB` and `cpack -G RPM` in the build dir ----------
set(CPACK_PACKAGE_NAME pxpd)
set(CPACK_PACKAGE_VENDOR "pxpd")
set(CPACK_PACKAGE_CONTACT "pxpd maintainers <maintainers@pxpd.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "PCP/PXP agent for Puppet orchestration (pxp-agent compatible)")
set(CPACK_PACKAGE_DESCRIPTION "\
pxpd stands in for Puppet's pxp-agent on a node an orchestrator manages.
It keeps one mutually authenticated websocket to a PCP broker, answers
PXP requests (echo, ping, status queries, task, command, script and file
actions, Puppet runs and external modules), runs actions in detached
child processes and keeps every result in an on-disk spool. It reads
pxp-agent's configuration keys and flags.")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_RELOCATABLE OFF)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
if(PXPD_FULL_STATIC)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)   # nothing to depend on
else()
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
endif()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${_pk}/deb/postinst ${_pk}/deb/prerm
    ${_pk}/deb/postrm ${_pk}/deb/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_RELEASE 1)
set(CPACK_RPM_PACKAGE_LICENSE "Unspecified; bundled Apache-2.0 or GPL-2.0+, MIT")
set(CPACK_RPM_PACKAGE_GROUP "System Environment/Daemons")
# The binaries are stripped already (CPACK_STRIP_FILES, with the target's
# strip): rpmbuild's own post-processing would strip again with the host's
# and add /usr/lib/.build-id links, so both packages hold the same bytes.
set(CPACK_RPM_SPEC_MORE_DEFINE "%define __spec_install_post %{nil}
%define _build_id_links none")
set(CPACK_RPM_POST_INSTALL_SCRIPT_FILE ${_pk}/rpm/post.sh)
set(CPACK_RPM_PRE_UNINSTALL_SCRIPT_FILE ${_pk}/rpm/preun.sh)
set(CPACK_RPM_POST_UNINSTALL_SCRIPT_FILE ${_pk}/rpm/postun.sh)
set(CPACK_RPM_USER_FILELIST
    "%config(noreplace) ${_etc}/pxpd/pxpd.conf"
    "%config(noreplace) ${_etc}/default/pxpd"
    "%config(noreplace) ${_etc}/logrotate.d/pxpd"
    "%dir %attr(0700,root,root) ${_var}/lib/pxpd"
    "%dir %attr(0750,root,root) ${_var}/log/pxpd")
# Directories the system's own packages own (filesystem, systemd, man).
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
    ${_etc}/default ${_etc}/logrotate.d /usr/lib/systemd /usr/lib/systemd/system
    /usr/lib/tmpfiles.d /usr/sbin /usr/share/lintian /usr/share/lintian/overrides
    /usr/share/man /usr/share/man/man8 ${_var} ${_var}/lib ${_var}/log)
if(CMAKE_CROSSCOMPILING AND CMAKE_SYSTEM_PROCESSOR STREQUAL "aarch64")
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
  set(CPACK_RPM_PACKAGE_ARCHITECTURE aarch64)
endif()
include(CPack)
