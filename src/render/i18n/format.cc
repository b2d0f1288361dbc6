#include "render/i18n/format.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include "render/i18n/catalogue.h"

namespace reportshare::render::i18n {
namespace {

// The ten digits of a catalogue's "format.digits", each as UTF-8 ("0"…"9",
// "٠"…"٩"). A malformed entry (not ten characters) leaves ASCII digits.
std::array<std::string, 10> Digits(const Catalogue& c) {
  std::array<std::string, 10> digits;
  for (int d = 0; d < 10; ++d) digits[d] = std::string(1, static_cast<char>('0' + d));
  std::string text = c.Format("format.digits");
  std::array<std::string, 10> parsed;
  size_t count = 0;
  for (size_t k = 0; k < text.size() && count <= 10;) {
    size_t len = 1;
    unsigned char lead = static_cast<unsigned char>(text[k]);
    if (lead >= 0xF0) {
      len = 4;
    } else if (lead >= 0xE0) {
      len = 3;
    } else if (lead >= 0xC0) {
      len = 2;
    }
    if (count < 10) parsed[count] = text.substr(k, len);
    ++count;
    k += len;
  }
  return count == 10 ? parsed : digits;
}

std::string Integer(Language language, long long value) {
  return LocalizeNumber(language, std::to_string(value));
}

// Two digits, zero-padded: "06".
std::string TwoDigits(Language language, int value) {
  char buf[3] = {static_cast<char>('0' + value / 10 % 10), static_cast<char>('0' + value % 10), 0};
  return LocalizeNumber(language, buf);
}

}  // namespace

std::string AsciiNumber(double value, int digits) {
  char buf[64];
  // to_chars, not printf: the decimal point must not follow the C locale.
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed, digits);
  std::string text(buf, ec == std::errc() ? end : buf);
  // "80.0" → "80", "72.50" → "72.5".
  if (text.find('.') != std::string::npos) {
    while (text.ends_with("0")) text.pop_back();
    if (text.ends_with(".")) text.pop_back();
  }
  if (text == "-0") text = "0";
  return text;
}

namespace {

// A language's number symbols and percent pattern, read from its catalogue
// once: a long report formats hundreds of percentages.
struct Symbols {
  std::array<std::string, 10> digits;
  std::string decimal;
  std::string percent_before;  // "{number}%" split around its placeholder
  std::string percent_after;
};

const Symbols& SymbolsOf(Language language) {
  static const std::array<Symbols, domain::kLanguages.size()> symbols = [] {
    std::array<Symbols, domain::kLanguages.size()> all;
    for (Language l : domain::kLanguages) {
      const Catalogue& c = CatalogueOf(l);
      Symbols& s = all[static_cast<size_t>(l)];
      s.digits = Digits(c);
      s.decimal = c.Format("format.decimal");
      std::string percent = c.Format("format.percent");
      size_t at = percent.find("{number}");
      if (at == std::string::npos) {
        s.percent_before = percent;
      } else {
        s.percent_before = percent.substr(0, at);
        s.percent_after = percent.substr(at + std::string_view("{number}").size());
      }
    }
    return all;
  }();
  return symbols[static_cast<size_t>(language)];
}

}  // namespace

std::string LocalizeNumber(Language language, std::string_view ascii) {
  const Symbols& s = SymbolsOf(language);
  std::string out;
  out.reserve(ascii.size() * 2);
  for (char ch : ascii) {
    if (ch >= '0' && ch <= '9') {
      out += s.digits[static_cast<size_t>(ch - '0')];
    } else if (ch == '.') {
      out += s.decimal;
    } else if (ch == '-') {
      out += "\u2212";
    } else {
      out += ch;
    }
  }
  return out;
}

std::string FormatNumber(Language language, double value, int digits) {
  return LocalizeNumber(language, AsciiNumber(value, digits));
}

std::string FormatPercent(Language language, double percentage, int digits) {
  const Symbols& s = SymbolsOf(language);
  return s.percent_before + FormatNumber(language, std::clamp(percentage, 0.0, 100.0), digits) +
         s.percent_after;
}

std::string FormatSignedPoints(Language language, double points, int digits,
                               std::string* ascii_magnitude) {
  // Rounded once, so at one digit "+0.04" and "-0.04" both read as level.
  double scale = std::pow(10.0, digits);
  double rounded = std::round(points * scale) / scale;
  std::string magnitude = AsciiNumber(std::abs(rounded), digits);
  if (ascii_magnitude != nullptr) *ascii_magnitude = magnitude;
  if (rounded == 0) return "±" + LocalizeNumber(language, "0");
  return (rounded > 0 ? "+" : "\u2212") + LocalizeNumber(language, magnitude);
}

std::string FormatDateTime(Language language, Instant t) {
  using namespace std::chrono;
  const sys_days day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<minutes> time{floor<minutes>(t - day)};
  const Catalogue& c = CatalogueOf(language);
  std::string month =
      c.Format("format.month." + std::to_string(static_cast<unsigned>(ymd.month())));
  std::string day_text = Integer(language, static_cast<unsigned>(ymd.day()));
  std::string year_text = Integer(language, static_cast<int>(ymd.year()));
  std::string hour = TwoDigits(language, static_cast<int>(time.hours().count()));
  std::string minute = TwoDigits(language, static_cast<int>(time.minutes().count()));
  return c.Format("format.datetime", {{"day", day_text},
                                      {"month", month},
                                      {"year", year_text},
                                      {"hour", hour},
                                      {"minute", minute}});
}

std::string FormatDuration(Language language, std::chrono::microseconds d) {
  long long total = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  std::string hours = Integer(language, total / 3600);
  std::string minutes = Integer(language, (total / 60) % 60);
  std::string seconds = Integer(language, total % 60);
  const Catalogue& c = CatalogueOf(language);
  if (total >= 3600) {
    return c.Format("format.duration.hours",
                    {{"hours", hours}, {"minutes", minutes}, {"seconds", seconds}});
  }
  if (total >= 60) {
    return c.Format("format.duration.minutes", {{"minutes", minutes}, {"seconds", seconds}});
  }
  return c.Format("format.duration.seconds", {{"seconds", seconds}});
}

std::string FormatPageOf(Language language, size_t page, size_t pages) {
  std::string n = Integer(language, static_cast<long long>(page));
  std::string m = Integer(language, static_cast<long long>(pages));
  return CatalogueOf(language).Format("footer.page", {{"page", n}, {"pages", m}});
}

}  // namespace reportshare::render::i18n
