#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace reportshare::render::pdf {

// The structure tag that stands for an artifact while Cairo draws: cairo 1.16
// knows only structure types, so decorative drawing is tagged with this one
// (never used otherwise) and FinishTaggedPdf turns it into /Artifact marked
// content.
inline constexpr const char* kArtifactTag = "Private";

// What a tagged PDF needs that cairo 1.16 cannot write (SPEC §4, "Accessible").
struct Tagging {
  std::string language;                 // BCP 47 tag: the catalog's /Lang ("en", "ar")
  std::vector<std::string> figure_alt;  // each Figure's /Alt, in reading order
};

// Completes the tagged PDF Cairo wrote, with qpdf: every kArtifactTag marked
// content becomes `/Artifact BMC` and leaves the structure tree (and the
// parent tree); each TH gets its /Scope (/Column in a THead, else /Row); each
// Figure its /Alt; the catalog gets /Lang and /ViewerPreferences
// <</DisplayDocTitle true>>. Streams Cairo wrote are copied as they are but
// for the page contents, and the document ID is derived from the content, so
// the same input gives the same bytes. Fails (kInternal) on a PDF qpdf cannot
// read, or one whose Figures do not match `tagging.figure_alt`.
Result<std::string> FinishTaggedPdf(std::string_view pdf, const Tagging& tagging);

}  // namespace reportshare::render::pdf
