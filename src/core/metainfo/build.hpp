// metainfo::build_torrent — encodes a v1 .torrent (BEP 3 + BEP 12/19/27) from a file list
// and piece hashes computed elsewhere. Pure: the caller reads the files and hashes them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace corrent::metainfo {

struct build_file {
  std::vector<std::string> path;  // components below the torrent name
  std::int64_t length = 0;
  bool executable = false;
};

struct build_input {
  std::string name;
  bool multi_file = false;        // a directory torrent ("files") vs one file ("length")
  std::vector<build_file> files;  // for single-file: exactly one, with an empty path
  std::int64_t piece_length = 0;
  std::string piece_hashes;  // 20 bytes per piece
  std::vector<std::vector<std::string>> tracker_tiers;
  std::vector<std::string> web_seeds;
  bool is_private = false;
  std::string comment;
  std::string created_by;
  std::optional<std::int64_t> creation_date;
};

std::string build_torrent(const build_input& in);

// The piece length `corrent create --piece-size auto` picks: the smallest power of two
// from 16 KiB to 16 MiB that keeps the torrent at or under 2,000 pieces.
std::int64_t auto_piece_length(std::int64_t total_length);

}  // namespace corrent::metainfo
