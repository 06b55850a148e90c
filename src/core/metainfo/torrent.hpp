// metainfo::torrent — what a .torrent file says: its `info` (info.hpp: the hashed part,
// which this type extends) and the outer fields (BEP 3 `announce`, BEP 12 tiers, BEP 19
// url-list, BEP 17 httpseeds, and the informational ones). The outer fields are not
// covered by the info-hash: they are hints, and a torrent started from a magnet link has
// only what the link carries (add_params.hpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/metainfo/add_params.hpp"
#include "core/metainfo/info.hpp"

namespace corrent::metainfo {

struct torrent : info {
  std::vector<std::vector<std::string>> trackers;  // tiers: announce-list, else announce
  std::string announce;
  std::vector<std::string> url_list;    // BEP 19 web seeds
  std::vector<std::string> http_seeds;  // BEP 17
  std::vector<std::string> dht_nodes;   // BEP 5 `nodes`: "HOST:PORT" (at most 64)
  std::optional<std::int64_t> creation_date;
  std::string comment;
  std::string created_by;

  // The info-hash, name, trackers and web seeds, to start a torrent with.
  add_params to_add_params() const;
};

}  // namespace corrent::metainfo
