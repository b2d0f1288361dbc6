#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "domain/language.h"

namespace reportshare::render::i18n {

// The words around a report, one catalogue per language: data a translator
// edits (src/render/i18n/catalogues/<tag>.json, docs/rendering.md), compiled
// into the binary. A catalogue is one JSON object, key → message. A message is
// a string with named placeholders ("Cut-off: {percent}"), or, where the
// wording depends on a number, an object of CLDR plural forms
// ({"one": "… {count} time …", "other": "… {count} times …"}) with exactly
// the categories of the language (PluralCategories).

// CLDR plural categories.
enum class PluralCategory : uint8_t { kZero, kOne, kTwo, kFew, kMany, kOther };

// "zero", "one", "two", "few", "many", "other".
std::string_view PluralCategoryName(PluralCategory category);

// The categories `language` distinguishes for cardinal numbers (CLDR), in
// the order above; always ends with kOther. en: one other; ar: all six.
std::vector<PluralCategory> PluralCategories(Language language);

// The category of the non-negative number shown as `shown`, a number in
// ASCII digits with '.' ("1", "12.5", "0.04"): CLDR's rules read the digits
// shown (en "1 point" but "1.5 points"), so the caller passes what it shows.
PluralCategory PluralCategoryOf(Language language, std::string_view shown);

// Named arguments for a message: {"percent", "72.5%"} replaces "{percent}".
using Args = std::initializer_list<std::pair<std::string_view, std::string_view>>;

struct Message {
  std::string text;                             // a plain message; empty when plural
  std::map<PluralCategory, std::string> forms;  // a plural message's forms; empty when plain
  bool plural() const { return !forms.empty(); }
};

class Catalogue {
 public:
  // Parses a catalogue's JSON. kInvalidArgument, naming the key, if it is not
  // an object of messages, a message is neither a string nor an object of
  // strings, or a plural message lacks one of `language`'s categories or has
  // another. (Which keys it must have is checked against en by the tests.)
  static Result<Catalogue> Parse(Language language, std::string_view json);

  Language language() const { return language_; }

  // The message `key` with its placeholders replaced by `args` (in one pass:
  // an argument's own braces are left alone; a placeholder without an argument
  // stays as written). A key this catalogue lacks is taken from en; one en
  // lacks comes out as the key itself (the tests keep both from happening).
  // For a plural message, its "other" form.
  std::string Format(std::string_view key, Args args = {}) const;

  // The plural message `key` in the form for the number shown as `shown`
  // (see PluralCategoryOf); a plain message is used as it is.
  std::string FormatPlural(std::string_view key, std::string_view shown, Args args = {}) const;

  // Every message, by key (for the tests).
  const std::map<std::string, Message, std::less<>>& messages() const { return messages_; }

 private:
  explicit Catalogue(Language language) : language_(language) {}
  const Message* Find(std::string_view key) const;

  Language language_;
  std::map<std::string, Message, std::less<>> messages_;
};

// The catalogue of `language`, as built into the binary; parsed once, on first
// use, and shared (thread-safe; never null). An embedded catalogue that does
// not parse is a broken build: the process aborts, naming it.
const Catalogue& CatalogueOf(Language language);

// The embedded JSON text of `language`'s catalogue, as the file has it.
std::string_view EmbeddedCatalogueJson(Language language);

// The placeholder names of `message`, in order ("{count} of {pages}" →
// count, pages). A placeholder is '{', [a-z_]+, '}'.
std::vector<std::string> Placeholders(std::string_view message);

// Replaces the placeholders of `message` by `args` in one pass.
std::string Substitute(std::string_view message, Args args);

}  // namespace reportshare::render::i18n
