#include "core/rfc3339.h"

#include <cstdio>

namespace reportshare::core {
namespace {

using std::chrono::days;
using std::chrono::microseconds;
using std::chrono::year_month_day;

// The first instant RFC 3339 can write: 0000-01-01T00:00:00Z.
constexpr Instant kFirstRfc3339Instant = std::chrono::sys_days{std::chrono::year{0} / 1 / 1};

bool Digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

std::string Format(Instant t, bool micros) {
  auto day = std::chrono::floor<days>(t);
  year_month_day ymd{day};
  auto tod = t - day;
  long long us = tod.count();
  long long secs = us / 1000000;
  char buf[64];
  int n;
  if (micros) {
    n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
                      static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                      static_cast<unsigned>(ymd.day()), secs / 3600, (secs / 60) % 60, secs % 60,
                      us % 1000000);
  } else {
    n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lldZ",
                      static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                      static_cast<unsigned>(ymd.day()), secs / 3600, (secs / 60) % 60, secs % 60);
  }
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace

std::string FormatRfc3339Micros(Instant t) { return Format(t, true); }
std::string FormatRfc3339Seconds(Instant t) { return Format(t, false); }

std::optional<Instant> ParseRfc3339(std::string_view s) {
  int year, month, day, hour, minute, second;
  if (!Digits(s, 0, 4, year) || s.size() < 20 || s[4] != '-' || !Digits(s, 5, 2, month) ||
      s[7] != '-' || !Digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') ||
      !Digits(s, 11, 2, hour) || s[13] != ':' || !Digits(s, 14, 2, minute) || s[16] != ':' ||
      !Digits(s, 17, 2, second)) {
    return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                     std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;

  size_t pos = 19;
  long long frac_us = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    long long scale = 100000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (pos - start < 6) {
        frac_us += (s[pos] - '0') * scale;
        scale /= 10;
      }
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  long long offset_min = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!Digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;

  Instant t = std::chrono::sys_days{ymd} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
              std::chrono::seconds{second} + microseconds{frac_us} -
              std::chrono::minutes{offset_min};
  // An offset can carry a date of year 0000 or 9999 past the years RFC 3339
  // writes ("0000-01-01T00:00:00+00:01" is in year -1): Format could not
  // write it back, so a report stored with it could not be read again.
  if (t < kFirstRfc3339Instant || t > kLastRfc3339Instant) return std::nullopt;
  return t;
}

}  // namespace reportshare::core
