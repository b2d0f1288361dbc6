# rs_embed_files(OUT_VAR NAMESPACE FUNCTION FILE...): generates a .cc in the
# build tree defining
#   std::span<const reportshare::core::EmbeddedFile> NAMESPACE::FUNCTION()
# (core/embedded.h): each FILE's name (without directories) and bytes, in
# order; sets OUT_VAR to its path, to add to a target's sources. The code that
# calls FUNCTION declares it. Rebuilt when a FILE changes; a FILE named *.json
# must be valid JSON, or the build fails naming it.
set(RS_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_files.cmake)

function(rs_embed_files out_var namespace function)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/embedded_${function}.cc)
  list(JOIN ARGN "|" files)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} "-DFILES=${files}" -DOUT=${out} -DNAMESPACE=${namespace}
            -DFUNCTION=${function} -P ${RS_EMBED_SCRIPT}
    DEPENDS ${ARGN} ${RS_EMBED_SCRIPT}
    COMMENT "Embedding ${function}"
    VERBATIM)
  set(${out_var} ${out} PARENT_SCOPE)
endfunction()
