#include "io/rpc/json_text.hpp"

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <iterator>

namespace corrent::io {
namespace json = boost::json;

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // the start of the characters that need no escape, copied at once
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 15];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void append_json_double(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  const auto at = out.size();
  fmt::format_to(std::back_inserter(out), "{}", d);
  // A real stays a real for typed clients: 1.0, not 1.
  if (out.find_first_of(".e", at) == std::string::npos) out += ".0";
}

void append_json_text(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      out += "null";
      break;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      break;
    case json::kind::int64:
      fmt::format_to(std::back_inserter(out), "{}", v.get_int64());
      break;
    case json::kind::uint64:
      fmt::format_to(std::back_inserter(out), "{}", v.get_uint64());
      break;
    case json::kind::double_:
      append_json_double(out, v.get_double());
      break;
    case json::kind::string: {
      const auto& str = v.get_string();
      append_json_string(out, std::string_view(str.data(), str.size()));
      break;
    }
    case json::kind::array:
      append_json_text(out, v.get_array());
      break;
    case json::kind::object:
      append_json_text(out, v.get_object());
      break;
  }
}

void append_json_text(std::string& out, const json::array& a) {
  out += '[';
  bool first = true;
  for (const auto& e : a) {
    if (!first) out += ',';
    first = false;
    append_json_text(out, e);
  }
  out += ']';
}

void append_json_text(std::string& out, const json::object& o) {
  out += '{';
  bool first = true;
  for (const auto& kv : o) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, std::string_view(kv.key().data(), kv.key().size()));
    out += ':';
    append_json_text(out, kv.value());
  }
  out += '}';
}

std::string json_text(const json::value& v) {
  std::string out;
  append_json_text(out, v);
  return out;
}

std::string json_text(const json::object& o) {
  std::string out;
  append_json_text(out, o);
  return out;
}

std::string json_text(const json::array& a) {
  std::string out;
  append_json_text(out, a);
  return out;
}

}  // namespace corrent::io
