# rs_embed_text(OUT_VAR NAMESPACE NAME FILE): generates a .cc in the build
# tree that defines `std::string_view NAMESPACE::NAME()` returning the bytes of
# FILE (UTF-8 text), and sets OUT_VAR to its path, to add to a target's
# sources. The file is read at build time: the binary needs no data file at
# run time. Rebuilt when FILE changes.
set(RS_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_file.cmake)

function(rs_embed_text out_var namespace name file)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/embedded_${name}.cc)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DIN=${file} -DOUT=${out} -DNAMESPACE=${namespace} -DNAME=${name}
            -P ${RS_EMBED_SCRIPT}
    DEPENDS ${file} ${RS_EMBED_SCRIPT}
    COMMENT "Embedding ${file}"
    VERBATIM)
  set(${out_var} ${out} PARENT_SCOPE)
endfunction()
