// Fuzz target: dht::node, the whole incoming path of our DHT node (rate limits, queries,
// replies matched to transactions, lookups, announces, the routing table). The input is a
// sequence of datagrams, each prefixed by one byte: the sender (8 addresses, 2 of them
// nodes we queried) and a time step, then a 2-byte length. Before them the node has sent
// pings and a lookup, so replies can match. Properties: no crash; every datagram the node
// sends is at most max_response_size bytes (queries are smaller still); its bounds hold
// (pending queries, lookups, table size, stored peers).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/dht/node.hpp"

namespace dht = corrent::dht;
namespace net = corrent::net;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

void check(dht::node& n, const dht::node_config& cfg) {
  for (const auto& o : n.take_outgoing()) require(o.data.size() <= dht::max_response_size);
  n.take_events();
  const auto s = n.stats();
  require(s.pending <= cfg.max_pending);
  require(s.lookups <= cfg.max_lookups);
  require(s.nodes <= cfg.table.max_buckets * cfg.table.bucket_size);
  require(s.stored_info_hashes <= cfg.store.max_info_hashes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  dht::node_config cfg;
  cfg.max_pending = 32;
  const net::peer_address router = net::peer_address::v4(0x5a000001, 6881);
  const net::peer_address other = net::peer_address::v4(0x5a000002, 6881);
  dht::node n(cfg, "", {router}, 0, 1);
  double now = 0;
  n.tick(now);
  n.add_node(other, now);
  dht::node_id ih;
  ih.bytes.fill(0x42);
  n.get_peers(ih, 6881, now);
  // The node's transactions are random: let replies guess them from the node's own queries.
  std::string last_t;
  for (const auto& o : n.take_outgoing()) {
    if (auto m = dht::decode(o.data)) last_t = m->transaction;
  }
  std::size_t at = 0;
  while (at + 3 <= size) {
    const std::uint8_t head = data[at];
    const std::size_t len = static_cast<std::size_t>(data[at + 1]) << 8 | data[at + 2];
    at += 3;
    std::string d(reinterpret_cast<const char*>(data + at), std::min(len, size - at));
    at += d.size();
    now += (head >> 4) * 0.5;
    net::peer_address from = (head & 7) == 0 ? router
                             : (head & 7) == 1
                                 ? other
                                 : net::peer_address::v4(0x5a000000 + (head & 7), 6881);
    // "TT" in the datagram stands for the node's last transaction id.
    if (const auto p = d.find("2:TT"); p != std::string::npos && last_t.size() == 2)
      d.replace(p + 2, 2, last_t);
    n.on_datagram(from, d, now);
    if (head & 8) n.tick(now);
    for (const auto& o : n.take_outgoing()) {
      require(o.data.size() <= dht::max_response_size);
      if (auto m = dht::decode(o.data); m && m->k == dht::message::kind::query)
        last_t = m->transaction;
    }
    check(n, cfg);
  }
  return 0;
}
