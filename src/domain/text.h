#pragma once

#include <cstddef>
#include <string_view>

#include "core/status.h"

namespace reportshare::domain {

// OK if `text` is valid UTF-8 of `min_chars` … `max_chars` characters (code
// points) with no control character (C0, DEL, C1), line or paragraph
// separator, or bidi embedding, override or isolate control (which would let
// it reorder the text around it in a document); kInvalidArgument naming
// `field` and the rule otherwise, e.g. "display_name must be a string of 1 to
// 100 characters without control characters; it has 0".
Status CheckPlainText(std::string_view text, std::string_view field, size_t min_chars,
                      size_t max_chars);

// OK if `text` is valid UTF-8 with no control character (C0, DEL, C1) but
// tab, line feed and carriage return; kInvalidArgument naming `field`
// otherwise. The rule for the report's own strings (candidate data, kept
// byte for byte: bidi controls and separators pass, and each document
// isolates them), where a NUL cut a PDF's name short and an escape sequence
// went raw into the page.
Status CheckNoControlCharacters(std::string_view text, std::string_view field);

}  // namespace reportshare::domain
