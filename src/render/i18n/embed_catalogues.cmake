# Writes OUT, a C++ source that holds each catalogue of DIR (TAGS, a
# comma-separated list of language tags) as a string literal, so the binary
# needs no file at run time. Run at build time by src/render/CMakeLists.txt:
#   cmake -DDIR=... -DTAGS=en,es -DOUT=... -P embed_catalogues.cmake
# A catalogue that is not a JSON object fails the build, naming the file.
string(REPLACE "," ";" tag_list "${TAGS}")
set(delimiter "rs_catalogue")
set(body "")
foreach(tag IN LISTS tag_list)
  set(file "${DIR}/${tag}.json")
  file(READ "${file}" text)
  string(JSON type ERROR_VARIABLE error TYPE "${text}")
  if(error)
    message(FATAL_ERROR "${file}: not valid JSON: ${error}")
  endif()
  if(NOT type STREQUAL "OBJECT")
    message(FATAL_ERROR "${file}: must be one JSON object (key -> message), not ${type}")
  endif()
  string(FIND "${text}" ")${delimiter}\"" found)
  if(NOT found EQUAL -1)
    message(FATAL_ERROR "${file}: contains the literal's delimiter )${delimiter}\"")
  endif()
  string(APPEND body "    {\"${tag}\", R\"${delimiter}(${text})${delimiter}\"},\n")
endforeach()
set(content "// Generated from src/render/i18n/catalogues/*.json by embed_catalogues.cmake: edit those.
#include \"render/i18n/embedded.h\"

namespace reportshare::render::i18n::internal {

const EmbeddedCatalogue kEmbeddedCatalogues[] = {
${body}};
const size_t kEmbeddedCatalogueCount = sizeof kEmbeddedCatalogues / sizeof kEmbeddedCatalogues[0];

}  // namespace reportshare::render::i18n::internal
")
# Rewritten only when it changes, so an unrelated build does not recompile it.
file(WRITE "${OUT}.tmp" "${content}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
