// bencode encoding: encode() writes a decoded value back byte-exactly; writer builds
// bencode directly into a string (for .torrent creation, tracker and resume data).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/bencode/value.hpp"

namespace corrent::bencode {

// Appends the canonical encoding of v. For a value decoded strictly this equals v.raw().
void encode(const value& v, std::string& out);
std::string encode(const value& v);

// Streaming writer. The caller emits dictionary keys in sorted order (BEP 3).
class writer {
 public:
  explicit writer(std::string& out) : out_(out) {}
  writer& integer(std::int64_t i);
  writer& string(std::string_view s);
  writer& begin_list() { return raw("l"); }
  writer& begin_dict() { return raw("d"); }
  writer& end() { return raw("e"); }
  writer& key(std::string_view k) { return string(k); }
  // Splices already-encoded bencode (e.g. the raw info dictionary).
  writer& raw(std::string_view encoded) {
    out_.append(encoded);
    return *this;
  }

 private:
  std::string& out_;
};

}  // namespace corrent::bencode
