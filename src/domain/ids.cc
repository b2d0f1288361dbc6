#include "domain/ids.h"

#include <algorithm>
#include <charconv>

#include "core/bytes.h"

namespace reportshare::domain {

std::string LinkId::ToString() const { return core::Base64UrlEncode(bytes); }

std::optional<LinkId> LinkId::Parse(std::string_view text) {
  if (text.size() != 22) return std::nullopt;
  auto decoded = core::Base64UrlDecode(text);
  if (!decoded || decoded->size() != kSize) return std::nullopt;
  LinkId id;
  std::copy(decoded->begin(), decoded->end(), id.bytes.begin());
  return id;
}

std::optional<ReportId> ParseReportId(std::string_view text) {
  if (text.empty() || text.size() > 19 || text[0] == '0') return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || ptr != text.data() + text.size() || v < 1) return std::nullopt;
  return ReportId{v};
}

}  // namespace reportshare::domain
