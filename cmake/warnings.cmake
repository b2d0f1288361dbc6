# Applies the project's warning set to one of our own targets. Third-party
# headers come in as system includes, so -Werror only judges our code.
function(rs_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Wno-sign-conversion -Werror)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # Checks every RS_GUARDED_BY / RS_REQUIRES (core/thread_annotations.h).
    target_compile_options(${target} PRIVATE -Wthread-safety)
  endif()
  if(RS_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12's flow analysis under -fsanitize reports false "maybe-uninitialized"
    # inside libstdc++ (std::function in <regex>); the dev build keeps the check.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
endfunction()

# Declares a static library for one folder of src/: rs_library(NAME SOURCES... DEPS ...)
function(rs_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  rs_set_warnings(${name})
endfunction()
