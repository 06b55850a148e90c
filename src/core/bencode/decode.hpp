// bencode::decode — strict, bounded decoding of one bencoded value (BEP 3).
// Rejects everything BEP 3 calls invalid (leading zeros, -0, unsorted or duplicate
// keys, trailing bytes ...) and stops at the limits below, each with the byte offset.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/bencode/errc.hpp"
#include "core/bencode/value.hpp"
#include "core/error.hpp"

namespace corrent::bencode {

struct decode_limits {
  std::size_t max_depth = 100;              // nested lists/dicts
  std::size_t max_tokens = 4'000'000;       // values of any kind
  std::size_t max_size = 64 * 1024 * 1024;  // input bytes
  // Strict BEP 3 wants dictionary keys sorted. Real .torrent files in the wild are not
  // always; with this off, unsorted keys are accepted (and sorted in the value tree so
  // lookups work). Duplicate keys are always rejected.
  bool require_sorted_keys = true;
};

// An error's detail reads "at byte N"; error_offset() gives N back as a number.
struct decode_error_info {
  errc code;
  std::size_t offset;
};

// Decodes exactly one value spanning all of `input`. The result views `input`.
result<value> decode(std::string_view input, const decode_limits& limits = {});

// Like decode() but also reports the failing offset without parsing the detail text.
result<value> decode(std::string_view input, const decode_limits& limits, decode_error_info* info);

// Decodes one value from the front of `input` and reports how many bytes it used;
// trailing bytes are allowed (used for a tracker reply followed by junk, or streams).
result<value> decode_prefix(std::string_view input, std::size_t& consumed,
                            const decode_limits& limits = {});

}  // namespace corrent::bencode
