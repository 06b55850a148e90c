// metainfo::info — the hashed part of a torrent: the `info` dictionary (BEP 3, with BEP 27
// `private` and BEP 47 file attributes), validated, with safe paths. Its SHA-1 is the
// info-hash, so it is all a peer can vouch for: a magnet link (BEP 9) gets exactly this
// from the swarm, and a .torrent file carries it beside outer fields (torrent.hpp).
// Invariants: piece_hashes.size() == 20 * num_pieces(); num_pieces() ==
// ceil(total_length / piece_length); files are contiguous from offset 0 in order, and
// there is at least one; every file path is relative, made of safe components
// (path_rules.hpp) and unique; info_hash == SHA-1(info_bytes).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto/sha1.hpp"
#include "core/error.hpp"

namespace corrent::metainfo {

// Caps on what a .torrent (or a fetched `info`) may ask of us; documented in the README.
struct parse_limits {
  std::size_t max_file_size = 64 * 1024 * 1024;  // the whole .torrent, bytes
  std::size_t max_info_size = 48 * 1024 * 1024;  // the info dictionary, bytes
  std::int64_t max_piece_length = 1LL << 30;     // 1 GiB
  std::int64_t max_pieces = 2'000'000;
  std::size_t max_files = 1'000'000;
  std::size_t max_path_depth = 64;
};

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

struct info {
  crypto::sha1_digest info_hash{};  // SHA-1 of the exact bytes of `info`
  std::string name;
  std::int64_t piece_length = 0;
  std::string piece_hashes;  // 20 bytes per piece
  std::int64_t total_length = 0;
  std::vector<file_entry> files;
  bool multi_file = false;
  bool is_private = false;
  bool hybrid = false;  // also carries BEP 52 v2 metadata (only v1 is used)

  std::string info_bytes;  // the raw `info` dictionary (metadata exchange, resume)

  std::int64_t num_pieces() const { return static_cast<std::int64_t>(piece_hashes.size() / 20); }
  std::int64_t piece_size(std::int64_t piece) const {
    const std::int64_t start = piece * piece_length;
    return std::min(piece_length, total_length - start);
  }
  crypto::sha1_digest piece_hash(std::int64_t piece) const;
  std::string info_hash_hex() const { return crypto::to_hex(info_hash); }
};

// The bytes of one bencoded `info` dictionary (nothing after it) to a validated info;
// info_hash is their SHA-1. Keys need not be sorted (real .torrent files are not always).
result<info> parse_info(std::string_view info_bytes, const parse_limits& limits = {});

}  // namespace corrent::metainfo
