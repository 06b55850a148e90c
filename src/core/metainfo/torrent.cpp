#include "core/metainfo/torrent.hpp"

#include <cstring>

namespace corrent::metainfo {

crypto::sha1_digest info::piece_hash(std::int64_t piece) const {
  crypto::sha1_digest d{};
  std::memcpy(d.data(), piece_hashes.data() + piece * 20, 20);
  return d;
}

add_params torrent::to_add_params() const {
  add_params p;
  p.info_hash = info_hash;
  p.name = name;
  p.trackers = trackers;
  p.url_list = url_list;
  p.http_seeds = http_seeds;
  p.dht_nodes = dht_nodes;
  return p;
}

}  // namespace corrent::metainfo
