#include "core/json.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_stack.hpp>

#include <charconv>
#include <cmath>
#include <string>

namespace reportshare::core {
namespace {

void Write(const boost::json::value& v, std::string& out) {
  switch (v.kind()) {
    case boost::json::kind::null:
      out += "null";
      return;
    case boost::json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case boost::json::kind::int64:
      out += std::to_string(v.get_int64());
      return;
    case boost::json::kind::uint64:
      out += std::to_string(v.get_uint64());
      return;
    case boost::json::kind::double_: {
      double d = v.get_double();
      if (!std::isfinite(d)) {  // JSON has no spelling for these
        out += "null";
        return;
      }
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
      out.append(buf, end);
      return;
    }
    case boost::json::kind::string:
      out += boost::json::serialize(v.get_string());
      return;
    case boost::json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        Write(e, out);
      }
      out.push_back(']');
      return;
    }
    case boost::json::kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out.push_back(',');
        first = false;
        out += boost::json::serialize(boost::json::string_view(kv.key()));
        out.push_back(':');
        Write(kv.value(), out);
      }
      out.push_back('}');
      return;
    }
  }
}

// Boost.JSON 1.81 parses a literal that overflows a double (1e309) as
// +/-infinity without an error; the contract rejects it, as JSON has no
// infinity. Recursion is bounded by the parser's max_depth.
bool AllFinite(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::double_:
      return std::isfinite(v.get_double());
    case boost::json::kind::array:
      for (const auto& e : v.get_array()) {
        if (!AllFinite(e)) return false;
      }
      return true;
    case boost::json::kind::object:
      for (const auto& kv : v.get_object()) {
        if (!AllFinite(kv.value())) return false;
      }
      return true;
    default:
      return true;
  }
}

// boost::json::parse's handler (boost/json/detail/handler.hpp), but for
// its doubles: Boost.JSON 1.81 converts a number's digits inexactly (an ulp
// or more off, "99.99999999999999" becomes 100, and what depends on the
// bytes around it), so a double WriteJson writes in its shortest
// round-trip form would not read back as itself, and a stored report would
// not be the one validated. Each double is converted again from its text
// with std::from_chars, which rounds correctly.
class ValueHandler {
 public:
  static constexpr size_t max_object_size = boost::json::object::max_size();
  static constexpr size_t max_array_size = boost::json::array::max_size();
  static constexpr size_t max_key_size = boost::json::string::max_size();
  static constexpr size_t max_string_size = boost::json::string::max_size();
  using error_code = boost::json::error_code;
  using string_view = boost::json::string_view;

  boost::json::value_stack st;

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return true; }
  bool on_object_end(size_t n, error_code&) {
    st.push_object(n);
    return true;
  }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(size_t n, error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_key_part(string_view s, size_t, error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_key(string_view s, size_t, error_code&) {
    st.push_key(s);
    return true;
  }
  bool on_string_part(string_view s, size_t, error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(string_view s, size_t, error_code&) {
    st.push_string(s);
    return true;
  }
  bool on_number_part(string_view s, error_code&) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(int64_t i, string_view, error_code&) {
    number_.clear();
    st.push_int64(i);
    return true;
  }
  bool on_uint64(uint64_t u, string_view, error_code&) {
    number_.clear();
    st.push_uint64(u);
    return true;
  }
  bool on_double(double d, string_view s, error_code&) {
    number_.append(s.data(), s.size());
    double exact = 0;
    const char* end = number_.data() + number_.size();
    auto [ptr, ec] = std::from_chars(number_.data(), end, exact);
    // Out of range (1e309, 1e-400): Boost's infinity (refused below) or zero.
    st.push_double(ec == std::errc() && ptr == end ? exact : d);
    number_.clear();
    return true;
  }
  bool on_bool(bool b, error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(error_code&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

 private:
  std::string number_;  // the text of a number cut across writes (one write here: never)
};

}  // namespace

Result<boost::json::value> ParseJson(std::string_view text) {
  boost::json::parse_options opts;
  opts.max_depth = 64;
  opts.allow_comments = false;
  opts.allow_trailing_commas = false;
  opts.allow_invalid_utf8 = false;
  boost::json::basic_parser<ValueHandler> parser(opts);
  parser.handler().st.reset();
  boost::system::error_code ec;
  const size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (ec || used < text.size() || !parser.done()) {
    return Status::InvalidArgument("body is not valid JSON");
  }
  boost::json::value v = parser.handler().st.release();
  if (!AllFinite(v)) return Status::InvalidArgument("body is not valid JSON");
  return v;
}

std::string WriteJson(const boost::json::value& v) {
  std::string out;
  Write(v, out);
  return out;
}

}  // namespace reportshare::core
