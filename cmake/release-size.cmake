# release-size.cmake -DFILE=<stripped pxpd> -DBUDGET=<bytes>: prints the
# release binary's size (part of the build output, cmake/Release.cmake).
file(SIZE "${FILE}" size)
math(EXPR kib "${size} / 1024")
math(EXPR left "${BUDGET} - ${size}")
if(size GREATER BUDGET)
  math(EXPR left "${size} - ${BUDGET}")
  message(WARNING "pxpd release binary: ${size} bytes stripped (${kib} KiB), "
                  "over the budget of ${BUDGET} bytes by ${left}")
else()
  message(STATUS "pxpd release binary: ${size} bytes stripped (${kib} KiB), "
                 "${left} bytes under the budget of ${BUDGET}")
endif()
