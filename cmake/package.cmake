# The Debian package (CPack, DEB generator): /usr/bin/reportshare, its man
# page generated from --help, the hardened systemd unit and the configuration
# file /etc/reportshare/reportshare.toml (a conffile). docs/operations.md,
# "Debian package".
#
#   scripts/package [PRESET]     builds only what the package holds, then the
#                                package: build/PRESET/reportshare_<version>_<arch>.deb
#   cmake --build --preset release --target package   the same, after building everything
#
# The man page and the packaged configuration file are built with the binary
# (in `all`), so `cpack --config build/PRESET/CPackConfig.cmake` packages a
# finished build without building anything (the test package.deb does that).

# --- What the package holds, built in the build tree ---------------------

find_program(HELP2MAN_EXECUTABLE help2man)
if(NOT HELP2MAN_EXECUTABLE)
  message(FATAL_ERROR "help2man not found: it generates the man page from --help "
                      "(scripts/setup installs it)")
endif()
set(RS_MAN_PAGE ${CMAKE_BINARY_DIR}/packaging/reportshare.1.gz)
add_custom_command(
  OUTPUT ${RS_MAN_PAGE}
  COMMAND bash ${PROJECT_SOURCE_DIR}/packaging/man.sh $<TARGET_FILE:reportshare> ${RS_MAN_PAGE}
  DEPENDS reportshare ${PROJECT_SOURCE_DIR}/packaging/man.sh
          ${PROJECT_SOURCE_DIR}/packaging/reportshare.h2m
  COMMENT "Generating the man page from reportshare --help"
  VERBATIM)

set(RS_PACKAGED_CONFIG ${CMAKE_BINARY_DIR}/packaging/reportshare.toml)
add_custom_command(
  OUTPUT ${RS_PACKAGED_CONFIG}
  COMMAND ${CMAKE_COMMAND} -DINPUT=${PROJECT_SOURCE_DIR}/packaging/reportshare.toml
          -DOUTPUT=${RS_PACKAGED_CONFIG} -P ${PROJECT_SOURCE_DIR}/cmake/package_config.cmake
  DEPENDS ${PROJECT_SOURCE_DIR}/packaging/reportshare.toml
          ${PROJECT_SOURCE_DIR}/cmake/package_config.cmake
  COMMENT "Writing the packaged /etc/reportshare/reportshare.toml"
  VERBATIM)
add_custom_target(reportshare_package_files ALL DEPENDS ${RS_MAN_PAGE} ${RS_PACKAGED_CONFIG})

# --- Where it goes ---------------------------------------------------------
# The unit and the configuration file have absolute destinations: Debian
# looks for them there whatever the prefix (/usr in the package).

install(TARGETS reportshare RUNTIME DESTINATION bin)
install(FILES ${RS_MAN_PAGE} DESTINATION share/man/man1)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/reportshare.service
        DESTINATION /lib/systemd/system)
install(FILES ${RS_PACKAGED_CONFIG} DESTINATION /etc/reportshare)

# --- The package -----------------------------------------------------------

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME reportshare)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR reportshare)
set(CPACK_PACKAGE_CONTACT "reportshare maintainers <maintainers@reportshare.invalid>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# CPACK_SET_DESTDIR stays OFF: the DEB generator stages the absolute
# destinations (/etc, /lib) itself, and ON would put bin/ under
# CMAKE_INSTALL_PREFIX (/usr/local) instead of /usr.
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "signed, time-limited links to candidates' assessment reports")
# One string (several arguments would make a list, joined with ';').
string(CONCAT CPACK_PACKAGE_DESCRIPTION
    "reportshare serves a candidate's assessment report as a web page and as a PDF behind a\n"
    "signed link that expires, over an HTTP API for hiring platforms that host it themselves.\n"
    "It keeps its data in SQLite (one node) or PostgreSQL (several), renders PDFs with Cairo\n"
    "and Pango, and runs under a hardened systemd unit as a dynamic user.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # reportshare_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION web)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The shared libraries' packages come from dpkg-shlibdeps; the fonts are what
# the PDF renderer names (Noto Sans and its Arabic and Devanagari faces are
# in fonts-noto-core; CJK and emoji only matter for text in those scripts).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "fonts-noto-core")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "fonts-noto-cjk, fonts-noto-color-emoji, sqlite3")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)

# Only what the package holds, then the package (scripts/package).
add_custom_target(deb
  COMMAND ${CMAKE_CPACK_COMMAND} -G DEB --config ${CMAKE_BINARY_DIR}/CPackConfig.cmake
  WORKING_DIRECTORY ${CMAKE_BINARY_DIR}
  COMMENT "Packaging reportshare (.deb)"
  USES_TERMINAL
  VERBATIM)
add_dependencies(deb reportshare reportshare_package_files)
