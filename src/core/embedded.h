#pragma once

#include <string_view>

namespace reportshare::core {

// A file compiled into the binary by rs_embed_files (cmake/embed.cmake): its
// name (without directories) and its bytes, unchanged. Nothing is read from
// disk at run time, so every subcommand and the render workers work from any
// directory.
struct EmbeddedFile {
  std::string_view name;
  std::string_view bytes;
};

}  // namespace reportshare::core
