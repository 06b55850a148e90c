// wire::ext::errc — why an extension protocol message (BEP 10 payload of wire message 20)
// is unusable. The codecs are lenient about what real clients get wrong; these are the
// cases they cannot make sense of.
#pragma once

#include <boost/system/error_code.hpp>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "core/bencode/value.hpp"
#include "core/error.hpp"

namespace corrent::wire::ext {

enum class errc {
  payload_too_large = 1,     // above max_payload_size
  not_a_dictionary,          // not bencode, or a bencoded value that is not a dictionary
  missing_msg_type,          // ut_metadata: no integer `msg_type`
  unknown_msg_type,          // ut_metadata: `msg_type` not 0, 1 or 2 (BEP 9: ignore it)
  bad_piece,                 // ut_metadata: `piece` missing, not an integer, < 0 or > 2^31
  bad_total_size,            // ut_metadata data: `total_size` missing, not an integer or <= 0
  metadata_piece_too_large,  // ut_metadata data: more than 16 KiB after the dictionary
};

const boost::system::error_category& category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

// Bounds every decoder here applies to a payload (the wire decoder already caps whole
// messages at 1 MiB; these hold when a payload comes from anywhere else too).
constexpr std::size_t max_payload_size = 1024 * 1024;
constexpr std::size_t max_payload_depth = 16;  // nested lists/dictionaries, the payload's own
                                               // dictionary included

namespace detail {
// The bencoded dictionary at the front of `payload`, decoded leniently as real clients need
// (keys in any order; bytes after it allowed, their offset returned in `consumed`) within
// the bounds above. errc::payload_too_large or errc::not_a_dictionary otherwise. The value
// views `payload`.
result<bencode::value> decode_dictionary(std::string_view payload, std::size_t& consumed);
}  // namespace detail

}  // namespace corrent::wire::ext

template <>
struct boost::system::is_error_code_enum<corrent::wire::ext::errc> : std::true_type {};
