# Run by rs_embed_text (cmake/embed.cmake) with -DIN, -DOUT, -DNAMESPACE, -DNAME.
# Writes the bytes of IN as a hex array, so any content (quotes, backslashes,
# ")" sequences, non-ASCII) survives exactly.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
string(REGEX REPLACE "(('\\\\x[0-9a-f][0-9a-f]',){32})" "\\1\n" bytes "${bytes}")
file(WRITE ${OUT}.tmp
  "// Generated from ${IN} by cmake/embed_file.cmake. Do not edit.\n"
  "#include <string_view>\n\n"
  "namespace ${NAMESPACE} {\n"
  "namespace {\n"
  "constexpr char kBytes[] = {\n${bytes}'\\0'};\n"
  "}  // namespace\n"
  "std::string_view ${NAME}() { return std::string_view(kBytes, ${size}); }\n"
  "}  // namespace ${NAMESPACE}\n")
file(RENAME ${OUT}.tmp ${OUT})
