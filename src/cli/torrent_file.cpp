#include "cli/torrent_file.hpp"

#include <fmt/format.h>

#include "core/metainfo/parse.hpp"
#include "io/storage/whole_file.hpp"

namespace corrent::cli {

std::optional<metainfo::torrent> load_torrent_file(const std::string& path) {
  metainfo::parse_limits limits;
  auto bytes = io::read_whole_file(path, limits.max_file_size);
  if (!bytes) {
    fmt::print(stderr, "corrent: {}: {}\n", path, bytes.error().code.message());
    return std::nullopt;
  }
  auto t = metainfo::parse_torrent(*bytes, limits);
  if (!t) {
    fmt::print(stderr, "corrent: {}: {}\n", path, t.error().message());
    return std::nullopt;
  }
  return std::move(*t);
}

}  // namespace corrent::cli
