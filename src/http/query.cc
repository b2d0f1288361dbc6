#include "http/query.h"

#include <boost/url/parse_query.hpp>

#include <array>

namespace reportshare::http {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A qvalue (RFC 9110 §12.4.2): "0" ["." 0*3DIGIT] or "1" ["." 0*3"0"];
// nullopt otherwise.
std::optional<double> ParseQValue(std::string_view text) {
  if (text.empty() || text.size() > 5 || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  if (text.size() > 1 && text[1] != '.') return std::nullopt;
  int thousandths = 0;
  int scale = 100;
  for (size_t i = 2; i < text.size(); ++i, scale /= 10) {
    if (text[i] < '0' || text[i] > '9' || (text[0] == '1' && text[i] != '0')) return std::nullopt;
    thousandths += (text[i] - '0') * scale;
  }
  return text[0] == '1' ? 1.0 : thousandths / 1000.0;
}

// A language-range (RFC 4647 §2.1): "*" or 1*8ALPHA *("-" 1*8alphanum).
bool IsLanguageRange(std::string_view r) {
  if (r == "*") return true;
  size_t part = 0;
  bool first = true;
  for (size_t i = 0; i <= r.size(); ++i) {
    if (i == r.size() || r[i] == '-') {
      if (part == 0 || part > 8) return false;
      part = 0;
      first = false;
      continue;
    }
    char c = r[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool digit = c >= '0' && c <= '9';
    if (!(alpha || (!first && digit))) return false;
    ++part;
  }
  return true;
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(
    std::string_view query, std::initializer_list<std::string_view> allowed) {
  std::vector<std::pair<std::string, std::string>> out;
  if (query.empty()) return out;
  std::string names;
  for (std::string_view a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
  auto params = boost::urls::parse_query(query);
  if (!params) return Status::InvalidArgument("the query string is malformed");
  for (auto param : *params) {
    // Percent-decoded, '+' as a space (but "%2B" as '+').
    const boost::urls::encoding_opts plus_is_space(true);
    std::string key = param.key.decode(plus_is_space);
    std::string value = param.value.decode(plus_is_space);
    bool known = false;
    for (std::string_view a : allowed) known = known || a == key;
    if (!known) {
      return Status::InvalidArgument("unknown query parameter \"" + key.substr(0, 40) +
                                     "\"; this path takes " +
                                     (names.empty() ? std::string("none") : names));
    }
    for (const auto& [k, v] : out) {
      if (k == key) return Status::InvalidArgument("query parameter " + key + " is given twice");
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

std::optional<Language> NegotiateLanguage(std::string_view header) {
  constexpr size_t kCount = domain::kLanguages.size();
  std::array<double, kCount> q{};      // best q of a range naming the language
  std::array<size_t, kCount> order{};  // position of that range
  std::array<bool, kCount> named{};    // some range names it
  std::array<bool, kCount> refused{};  // its exact tag has q=0
  std::optional<double> star;
  size_t star_order = 0;
  size_t position = 0;
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view element = Trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (element.empty()) continue;
    ++position;
    std::string_view range = Trim(element.substr(0, element.find(';')));
    double weight = 1.0;
    bool ok = IsLanguageRange(range);
    if (size_t semi = element.find(';'); semi != std::string_view::npos) {
      std::string_view param = Trim(element.substr(semi + 1));
      if (param.size() < 2 || (param[0] != 'q' && param[0] != 'Q') || param[1] != '=') {
        ok = false;
      } else {
        auto parsed = ParseQValue(Trim(param.substr(2)));
        ok = ok && parsed.has_value();
        weight = parsed.value_or(0);
      }
    }
    if (!ok) continue;
    if (range == "*") {
      if (!star || weight > *star) {
        star = weight;
        star_order = position;
      }
      continue;
    }
    std::string_view primary = range.substr(0, range.find('-'));
    std::optional<Language> language = domain::ParseLanguageTag(primary);  // any case
    if (!language) continue;
    const size_t i = static_cast<size_t>(*language);
    if (weight == 0 && primary.size() == range.size()) refused[i] = true;
    if (!named[i] || weight > q[i]) {
      q[i] = weight;
      order[i] = position;
    }
    named[i] = true;
  }
  std::optional<size_t> best;
  double best_q = 0;
  size_t best_order = 0;
  for (size_t i = 0; i < kCount; ++i) {
    double qi = named[i] ? q[i] : star.value_or(0);
    size_t oi = named[i] ? order[i] : star_order;
    if (refused[i] || qi <= 0) continue;
    if (!best || qi > best_q || (qi == best_q && oi < best_order)) {
      best = i;
      best_q = qi;
      best_order = oi;
    }
  }
  if (!best) return std::nullopt;
  return domain::kLanguages[*best];
}

}  // namespace reportshare::http
