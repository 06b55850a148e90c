// metainfo::torrent — what a .torrent file says (BEP 3 with BEP 12 tiers, BEP 19
// url-list, BEP 27 private, BEP 47 file attributes), validated and with safe paths.
// Invariants: piece_hashes.size() == 20 * num_pieces(); num_pieces() ==
// ceil(total_length / piece_length); files are contiguous from offset 0 in order;
// every file path is relative, made of safe components (see path_rules.hpp) and unique.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/crypto/sha1.hpp"

namespace corrent::metainfo {

struct file_entry {
  std::string path;  // relative to the output directory, '/'-separated;
                     // multi-file torrents start with the torrent name
  std::int64_t length = 0;
  std::int64_t offset = 0;  // in the concatenation of all files (the piece space)
  bool pad = false;         // BEP 47 'p': zeros that are never written to disk
  bool executable = false;  // 'x'
  bool hidden = false;      // 'h'
  bool symlink = false;     // 'l' (its bytes are not part of the piece space)
  std::string symlink_target;
};

struct torrent {
  crypto::sha1_digest info_hash{};  // SHA-1 of the exact bytes of `info`
  std::string name;
  std::int64_t piece_length = 0;
  std::string piece_hashes;  // 20 bytes per piece
  std::int64_t total_length = 0;
  std::vector<file_entry> files;
  bool multi_file = false;
  bool is_private = false;
  bool hybrid = false;  // also carries BEP 52 v2 metadata (only v1 is used)

  std::vector<std::vector<std::string>> trackers;  // tiers: announce-list, else announce
  std::string announce;
  std::vector<std::string> url_list;    // BEP 19 web seeds
  std::vector<std::string> http_seeds;  // BEP 17
  std::optional<std::int64_t> creation_date;
  std::string comment;
  std::string created_by;

  std::string info_bytes;  // the raw `info` dictionary (for metadata exchange, resume)

  std::int64_t num_pieces() const { return static_cast<std::int64_t>(piece_hashes.size() / 20); }
  std::int64_t piece_size(std::int64_t piece) const {
    const std::int64_t start = piece * piece_length;
    return std::min(piece_length, total_length - start);
  }
  crypto::sha1_digest piece_hash(std::int64_t piece) const;
  std::string info_hash_hex() const { return crypto::to_hex(info_hash); }
};

}  // namespace corrent::metainfo
