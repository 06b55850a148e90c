// daemon::torrent_list — the daemon's list of torrents as it is kept in its state
// directory (`torrents.benc`): for each torrent, where it came from, where it is saved,
// when it was added and whether it is paused. Encoded as one bencoded dictionary; a file
// that does not decode, or an entry that is not well formed, is an error naming it (the
// daemon then refuses to start rather than forget torrents). Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
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
  // Its own limits (0: none): bytes/s, the seed ratio in thousandths, seconds of seeding.
  std::int64_t max_download_rate = 0;
  std::int64_t max_upload_rate = 0;
  std::int64_t seed_ratio_milli = 0;
  std::int64_t seed_time_s = 0;
  // Set to "no limit" for this torrent (not the session's, which is none as well); the
  // compatible APIs show the difference (qBittorrent: -1 vs -2).
  bool no_ratio_limit = false;
  bool no_time_limit = false;
  std::int64_t completed_at = 0;  // Unix seconds when it was first complete (0: not yet)
  std::string category;           // one of saved_state::categories, or empty
  std::vector<std::string> tags;  // sorted, no repeats
  friend bool operator==(const torrent_entry&, const torrent_entry&) = default;
};

// Everything the daemon keeps: its torrents, in the order added, and the session's limits.
struct saved_state {
  std::vector<torrent_entry> torrents;
  std::int64_t max_download_rate = 0;  // bytes/s for the whole session (0: none)
  std::int64_t max_upload_rate = 0;
  // Categories (name -> save path, absolute or empty: the download directory) and tags,
  // sorted by name.
  std::vector<std::pair<std::string, std::string>> categories;
  std::vector<std::string> tags;
  friend bool operator==(const saved_state&, const saved_state&) = default;
};

std::string encode_state(const saved_state& state);
result<saved_state> decode_state(std::string_view bytes);

// 40 lowercase hex digits.
bool is_info_hash_hex(std::string_view s);

}  // namespace corrent::daemon
