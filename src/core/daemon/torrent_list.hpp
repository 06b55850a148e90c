// daemon::torrent_list — the daemon's list of torrents as it is kept in its state
// directory (`torrents.benc`): for each torrent, where it came from, where it is saved,
// when it was added and whether it is paused. Encoded as one bencoded dictionary; a file
// that does not decode, or an entry that is not well formed, is an error naming it (the
// daemon then refuses to start rather than forget torrents). Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace corrent::daemon {

struct torrent_entry {
  std::string info_hash;      // 40 lowercase hex digits
  std::string magnet;         // the magnet URI when it was added from one; else its metainfo
                              // is `torrents/<info_hash>.torrent` in the state directory
  std::string save_path;      // absolute
  std::int64_t added_at = 0;  // Unix seconds
  bool paused = false;
  friend bool operator==(const torrent_entry&, const torrent_entry&) = default;
};

std::string encode_torrent_list(const std::vector<torrent_entry>& entries);
result<std::vector<torrent_entry>> decode_torrent_list(std::string_view bytes);

// 40 lowercase hex digits.
bool is_info_hash_hex(std::string_view s);

}  // namespace corrent::daemon
