#include "core/bencode/encode.hpp"

#include <charconv>

namespace corrent::bencode {

writer& writer::integer(std::int64_t i) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, i);
  out_.push_back('i');
  out_.append(buf, end);
  out_.push_back('e');
  return *this;
}

writer& writer::string(std::string_view s) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, s.size());
  out_.append(buf, end);
  out_.push_back(':');
  out_.append(s);
  return *this;
}

void encode(const value& v, std::string& out) {
  writer w(out);
  switch (v.kind()) {
    case type::integer:
      w.integer(v.as_int());
      break;
    case type::string:
      w.string(v.as_string());
      break;
    case type::list:
      w.begin_list();
      for (const auto& item : v.as_list()) encode(item, out);
      w.end();
      break;
    case type::dict:
      w.begin_dict();
      for (const auto& [k, item] : v.as_dict()) {
        w.key(k);
        encode(item, out);
      }
      w.end();
      break;
  }
}

std::string encode(const value& v) {
  std::string out;
  out.reserve(v.raw().size());
  encode(v, out);
  return out;
}

}  // namespace corrent::bencode
