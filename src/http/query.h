#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "domain/language.h"

namespace reportshare::http {

// The parameters of a query string ("a=1&b=x%40y"), percent-decoded ('+' as
// a space, as forms send it), in order. kInvalidArgument for a parameter not
// in `allowed` (the message lists them), one given twice, or a malformed
// escape. An empty query has none.
Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(
    std::string_view query, std::initializer_list<std::string_view> allowed);

// The best of the supported languages (domain/language.h) for an
// Accept-Language header (RFC 9110 §12.5.4): each language takes the highest
// q of the ranges whose primary subtag is its tag ("es-MX" counts for es),
// unless a range that is exactly its tag says q=0; "*" gives its q to every
// language no range names. The highest q wins, the earliest range on a tie;
// nullopt when nothing supported is acceptable (or the header is empty).
// Malformed elements are skipped, never an error.
std::optional<Language> NegotiateLanguage(std::string_view accept_language);

}  // namespace reportshare::http
