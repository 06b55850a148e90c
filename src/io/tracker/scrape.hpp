// io::scrape_trackers — BEP 48 scrape of every tracker of a torrent (HTTP and UDP), for
// `corrent info --scrape`. Asio-free interface: it runs its own event loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/metainfo/torrent.hpp"

namespace corrent::io {

struct scrape_report {
  std::string url;
  bool ok = false;
  std::int64_t seeders = 0;    // complete
  std::int64_t leechers = 0;   // incomplete
  std::int64_t completed = 0;  // downloaded
  std::string error;
};

std::vector<scrape_report> scrape_trackers(const metainfo::torrent& t,
                                           std::chrono::milliseconds timeout);

}  // namespace corrent::io
