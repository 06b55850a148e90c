// io::make_torrent — `corrent create`: scan a file or directory, hash it on all cores
// and encode a v1 .torrent. Files of a directory are taken in byte-wise order of their
// relative path (component by component), hidden files included; symbolic links are
// never followed (they are skipped and reported), so nothing outside PATH is read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/storage/piece_hasher.hpp"

namespace corrent::io {

struct make_torrent_options {
  std::filesystem::path root;
  std::vector<std::vector<std::string>> tracker_tiers;
  std::vector<std::string> web_seeds;
  std::int64_t piece_length = 0;  // 0: auto
  bool is_private = false;
  std::string comment;
  std::string created_by;
  std::optional<std::int64_t> creation_date;
  unsigned threads = 0;  // 0: all cores
};

struct make_torrent_result {
  std::string torrent_bytes;
  std::vector<std::string> skipped;  // symlinks and special files left out, with why
  std::int64_t total_length = 0;
  std::int64_t piece_length = 0;
};

result<make_torrent_result> make_torrent(const make_torrent_options& opts,
                                         hash_progress* progress = nullptr,
                                         const std::function<void(std::int64_t total)>& tick = {});

}  // namespace corrent::io
