// metainfo::add_params — what is known of a torrent besides its `info`: the info-hash it
// is known by, a display name, trackers and web seeds, peers to try. A .torrent file
// gives them beside its `info` (torrent::to_add_params); a magnet link gives them alone,
// and the `info` comes later from the swarm (BEP 9).
#pragma once

#include <string>
#include <vector>

#include "core/crypto/sha1.hpp"
#include "core/net/peer_address.hpp"

namespace corrent::metainfo {

struct add_params {
  crypto::sha1_digest info_hash{};
  std::string name;                                // a hint until `info` is known
  std::vector<std::vector<std::string>> trackers;  // BEP 12 tiers, in order
  std::vector<std::string> url_list;               // BEP 19 web seeds
  std::vector<std::string> http_seeds;             // BEP 17
  std::vector<net::peer_address> peers;            // to dial at once (manual, x.pe)
  std::vector<std::string> dht_nodes;              // BEP 5 `nodes` of a .torrent: HOST:PORT
};

}  // namespace corrent::metainfo
