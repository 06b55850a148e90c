// metainfo::parse_torrent — .torrent bytes to a validated torrent (see torrent.hpp).
#pragma once

#include <cstdint>
#include <string_view>

#include "core/error.hpp"
#include "core/metainfo/errc.hpp"
#include "core/metainfo/torrent.hpp"

namespace corrent::metainfo {

// Caps on what a .torrent may ask of us; documented in the README.
struct parse_limits {
  std::size_t max_file_size = 64 * 1024 * 1024;  // the whole .torrent, bytes
  std::size_t max_info_size = 48 * 1024 * 1024;  // the info dictionary, bytes
  std::int64_t max_piece_length = 1LL << 30;     // 1 GiB
  std::int64_t max_pieces = 2'000'000;
  std::size_t max_files = 1'000'000;
  std::size_t max_path_depth = 64;
};

result<torrent> parse_torrent(std::string_view bytes, const parse_limits& limits = {});

}  // namespace corrent::metainfo
