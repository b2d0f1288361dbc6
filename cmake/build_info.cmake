# Writes OUTPUT, the header of the version and the git commit the binary is
# built from (src/app/version.cc). Run as `cmake -P` at every build, not at
# configure time, so a new commit shows without a re-configure; OUTPUT is
# rewritten only when its content changes (configure_file), so an unchanged
# commit rebuilds nothing. Outside a git checkout (a source tarball), or
# without git, the commit is empty.
#   -DSOURCE_DIR=… -DOUTPUT=… -DVERSION=… [-DGIT=path/to/git]
set(RS_GIT_COMMIT "")
if(GIT AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(
    COMMAND "${GIT}" -C "${SOURCE_DIR}" rev-parse --short HEAD
    OUTPUT_VARIABLE commit
    RESULT_VARIABLE result
    OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_QUIET)
  if(result EQUAL 0)
    set(RS_GIT_COMMIT "${commit}")
  endif()
endif()
set(RS_VERSION "${VERSION}")
configure_file("${CMAKE_CURRENT_LIST_DIR}/build_info.h.in" "${OUTPUT}" @ONLY)
