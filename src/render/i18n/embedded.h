#pragma once

#include <cstddef>
#include <string_view>

// The catalogues as the build embedded them (a generated source, from
// src/render/i18n/catalogues/<tag>.json). Only catalogue.cc reads these.
namespace reportshare::render::i18n::internal {

struct EmbeddedCatalogue {
  std::string_view tag;   // "en"
  std::string_view json;  // the file's text, unchanged
};

extern const EmbeddedCatalogue kEmbeddedCatalogues[];
extern const size_t kEmbeddedCatalogueCount;

}  // namespace reportshare::render::i18n::internal
