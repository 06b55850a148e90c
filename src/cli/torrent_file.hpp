// Loading the .torrent a user named, with one clear error line when it is not usable.
#pragma once

#include <optional>
#include <string>

#include "core/metainfo/torrent.hpp"

namespace corrent::cli {

// Reads and parses `path`; on failure prints "corrent: <path>: <problem>" to stderr.
std::optional<metainfo::torrent> load_torrent_file(const std::string& path);

}  // namespace corrent::cli
