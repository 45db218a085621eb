# cmake/embed-web.cmake: writes a C file that holds the web interface's files (web/, flat) as
# byte arrays and a table of them by name, for static.c (docs/web.md: the interface is compiled
# into the program, so an installed or a build-tree `ariadne serve` serves the same pages).
#   cmake -DDIR=web -DOUT=file.c -P embed-web.cmake
file(GLOB files RELATIVE "${DIR}" "${DIR}/*.html" "${DIR}/*.css" "${DIR}/*.js" "${DIR}/*.svg")
list(SORT files)
set(arrays "")
set(table "")
set(i 0)
foreach(f ${files})
  file(READ "${DIR}/${f}" hex HEX)
  string(LENGTH "${hex}" hl)
  math(EXPR len "${hl} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REPEAT "0x..," 16 row)
  string(REGEX REPLACE "(${row})" "\\1\n" bytes "${bytes}")
  string(APPEND arrays "static const unsigned char f${i}[] = {\n${bytes}0};\n")
  string(APPEND table "    {\"${f}\", f${i}, ${len}},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE "${OUT}.tmp" "/* Generated from web/ by cmake/embed-web.cmake: do not edit. */\n"
  "#include <stddef.h>\n"
  "typedef struct { const char *name; const unsigned char *data; size_t len; } ad_web_file;\n"
  "${arrays}"
  "extern const ad_web_file ad_web_files[];\nextern const size_t ad_web_n;\n"
  "const ad_web_file ad_web_files[] = {\n${table}    {NULL, NULL, 0}};\n"
  "const size_t ad_web_n = ${i};\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
