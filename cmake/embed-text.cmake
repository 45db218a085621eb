# cmake/embed-text.cmake: writes a C file that holds a text file (or the part of it between two
# marker strings) as a NUL-terminated byte array, for data compiled into the library.
#   cmake -DIN=file -DOUT=file.c -DNAME=symbol [-DBEGIN=marker -DEND=marker] -P embed-text.cmake
# defines `const char NAME[]` and `const size_t NAME_len` (bytes, without the NUL).
file(READ "${IN}" text)
if(DEFINED BEGIN)
  string(FIND "${text}" "${BEGIN}" b)
  string(FIND "${text}" "${END}" e)
  if(b LESS 0 OR e LESS b)
    message(FATAL_ERROR "${IN}: no '${BEGIN}' ... '${END}' part")
  endif()
  string(LENGTH "${BEGIN}" bl)
  math(EXPR b "${b} + ${bl}")
  math(EXPR n "${e} - ${b}")
  string(SUBSTRING "${text}" ${b} ${n} text)
endif()
file(WRITE "${OUT}.tmp" "${text}")
file(READ "${OUT}.tmp" hex HEX)
file(REMOVE "${OUT}.tmp")
string(LENGTH "${hex}" hl)
math(EXPR len "${hl} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REPEAT "0x..," 16 row) # CMake regexes have no {n}
string(REGEX REPLACE "(${row})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}" "/* Generated from ${IN} by cmake/embed-text.cmake: do not edit. */\n"
  "#include <stddef.h>\n"
  "extern const char ${NAME}[];\nextern const size_t ${NAME}_len;\n"
  "const char ${NAME}[] = {\n${bytes}0};\nconst size_t ${NAME}_len = ${len};\n")
