# copyright.cmake -DHEAD=file -DOUT=file -DLICENCES="name=file|...":
# writes the packages' copyright file: HEAD, then each licence text under
# its name (packaging/Packages.cmake).
file(READ "${HEAD}" text)
string(REPLACE "|" ";" LICENCES "${LICENCES}")
foreach(entry ${LICENCES})
  string(REGEX REPLACE "=.*" "" name "${entry}")
  string(REGEX REPLACE "^[^=]*=" "" path "${entry}")
  file(READ "${path}" body)
  string(APPEND text "\n\n==== ${name} ====\n\n${body}")
endforeach()
file(WRITE "${OUT}" "${text}")
