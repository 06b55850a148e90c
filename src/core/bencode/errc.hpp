// bencode::errc — why a byte string is not valid, strict bencode (BEP 3).
#pragma once

#include <boost/system/error_code.hpp>
#include <type_traits>

namespace corrent::bencode {

enum class errc {
  unexpected_end = 1,     // input ended inside a value
  unexpected_byte,        // a byte that starts no value (or a missing 'e'/':')
  invalid_integer,        // "ie", "i-e", non-digits
  leading_zero,           // "i03e", "03:abc"
  negative_zero,          // "i-0e"
  integer_overflow,       // does not fit in int64
  invalid_string_length,  // negative or overflowing length prefix
  string_out_of_bounds,   // the length prefix runs past the end of the input
  key_not_string,         // a dictionary key that is not a byte string
  unsorted_keys,          // dictionary keys must ascend as raw bytes
  duplicate_key,          // the same key twice in one dictionary
  trailing_bytes,         // bytes after the top-level value
  depth_exceeded,         // nesting deeper than the limit
  token_limit_exceeded,   // more values than the limit
  input_too_large,        // input longer than the limit
};

const boost::system::error_category& category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

}  // namespace corrent::bencode

template <>
struct boost::system::is_error_code_enum<corrent::bencode::errc> : std::true_type {};
