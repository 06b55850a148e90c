// resume::errc — why a resume file cannot be trusted (the pieces are then re-hashed).
#pragma once

#include <boost/system/error_code.hpp>
#include <type_traits>

namespace corrent::resume {

enum class errc {
  not_a_dictionary = 1,  // garbage, truncated or zeroed file
  unsupported_version,   // written by a future corrent
  wrong_torrent,         // info-hash differs from the torrent being resumed
  bad_field,             // a field is missing or of the wrong type/range
  file_count_mismatch,   // not one record per file of the torrent
  bad_bitfield,          // verified-pieces bitfield of the wrong length or with spare bits
  bad_checksum,          // the content does not match its SHA-1 (bit rot, a torn write)
};

const boost::system::error_category& category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

}  // namespace corrent::resume

template <>
struct boost::system::is_error_code_enum<corrent::resume::errc> : std::true_type {};
