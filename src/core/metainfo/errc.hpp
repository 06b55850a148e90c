// metainfo::errc — why a .torrent file or a magnet link is refused (BEP 3, 9, 12, 19, 27, 47).
#pragma once

#include <boost/system/error_code.hpp>
#include <type_traits>

namespace corrent::metainfo {

enum class errc {
  not_a_dictionary = 1,     // top level (or info) is not a dictionary
  missing_info,             // no `info` dictionary
  missing_field,            // a required key is absent
  wrong_type,               // a key has a value of the wrong bencode type
  invalid_piece_length,     // <= 0 or above the cap
  invalid_pieces,           // `pieces` is not a multiple of 20 bytes
  piece_count_mismatch,     // pieces do not match ceil(total / piece length)
  invalid_length,           // a negative file length, or sizes that overflow
  invalid_path,             // a path that could escape the output directory, or is empty
  duplicate_path,           // two files with the same path after the rules, or file vs directory
  too_many_pieces,          // above the cap
  too_many_files,           // above the cap
  path_too_deep,            // above the cap
  metadata_too_large,       // info dictionary above the cap
  v2_not_supported,         // BitTorrent v2-only torrent (BEP 52): not supported yet
  no_files,                 // a multi-file torrent whose `files` list is empty
  bad_magnet,               // a magnet link that cannot be used (magnet.hpp)
  magnet_v2_not_supported,  // a magnet link with only a v2 info-hash (btmh): not supported yet
};

const boost::system::error_category& category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

}  // namespace corrent::metainfo

template <>
struct boost::system::is_error_code_enum<corrent::metainfo::errc> : std::true_type {};
