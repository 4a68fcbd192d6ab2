# Release.cmake (-DPXPD_RELEASE=ON): after pxpd is linked, strip a copy,
# agent/pxpd.stripped (what the packages install: cpack strips the same
# way), and print its size against the 2 MiB budget. The unstripped
# agent/pxpd keeps its debug info. tests/release/run.sh checks the budget.
set(PXPD_SIZE_BUDGET 2097152 CACHE STRING "bytes the stripped pxpd may have")
add_custom_command(
  OUTPUT ${CMAKE_BINARY_DIR}/agent/pxpd.stripped
  COMMAND ${CMAKE_STRIP} -o ${CMAKE_BINARY_DIR}/agent/pxpd.stripped
          $<TARGET_FILE:pxpd>
  DEPENDS pxpd
  VERBATIM)
add_custom_target(pxpd_stripped ALL DEPENDS ${CMAKE_BINARY_DIR}/agent/pxpd.stripped)
# The size line on every build, an up-to-date one too (a custom target
# without outputs always runs).
add_custom_target(pxpd_size ALL
  COMMAND ${CMAKE_COMMAND} -DFILE=${CMAKE_BINARY_DIR}/agent/pxpd.stripped
          -DBUDGET=${PXPD_SIZE_BUDGET} -P ${CMAKE_SOURCE_DIR}/cmake/release-size.cmake
  DEPENDS pxpd_stripped
  VERBATIM)
