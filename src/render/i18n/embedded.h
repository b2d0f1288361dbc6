#pragma once

#include <span>

#include "core/embedded.h"

// The catalogues as the build embedded them (cmake/embed.cmake, from
// src/render/i18n/catalogues/<tag>.json, named "<tag>.json"). Only
// catalogue.cc reads these.
namespace reportshare::render::i18n::internal {

std::span<const core::EmbeddedFile> EmbeddedCatalogues();

}  // namespace reportshare::render::i18n::internal
