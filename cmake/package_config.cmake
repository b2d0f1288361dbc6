# Writes OUTPUT, the /etc/reportshare/reportshare.toml of the Debian package:
# packaging/reportshare.toml (INPUT) with db and signing-keys set to the
# systemd unit's state directory. Every other key stays commented out at its
# default. Fails if either commented default line is not found, so a change
# to packaging/reportshare.toml cannot silently leave the package's database
# in the service's (read-only) working directory.
#   cmake -DINPUT=… -DOUTPUT=… -P cmake/package_config.cmake
file(READ "${INPUT}" text)
foreach(pair
    "# db = \"sqlite:reportshare.db\"|db = \"sqlite:/var/lib/reportshare/reportshare.db\""
    "# signing-keys = \"\"|signing-keys = \"/var/lib/reportshare/signing-keys\"")
  string(REPLACE "|" ";" pair "${pair}")
  list(GET pair 0 from)
  list(GET pair 1 to)
  string(FIND "${text}" "\n${from}\n" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${INPUT}: the line '${from}' is missing; cmake/package_config.cmake "
                        "sets it for the Debian package")
  endif()
  string(REPLACE "\n${from}\n"
         "\n# Set by the Debian package: the systemd unit's StateDirectory.\n${to}\n"
         text "${text}")
endforeach()
file(WRITE "${OUTPUT}.tmp" "${text}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
