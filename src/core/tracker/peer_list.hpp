// tracker::peer_list — gathers the peers of one tracker answer (HTTP or UDP) under the
// same rules: unusable addresses are dropped, duplicates are kept once (first seen), and
// nothing is added past response_limits::max_peers, so a hostile tracker cannot flood
// the session with a 100,000-entry list.
#pragma once

#include <cstddef>
#include <set>
#include <string_view>
#include <vector>

#include "core/net/peer_address.hpp"

namespace corrent::tracker {

class peer_list {
 public:
  explicit peer_list(std::size_t max_peers) : max_peers_(max_peers) {}

  void add(const net::peer_address& peer);
  // Compact entries: 4-byte IPv4 + port (BEP 23) or 16-byte IPv6 + port (BEP 7), ports
  // big-endian. A trailing partial entry is ignored; callers reject it beforehand.
  void add_compact(std::string_view bytes, bool ipv6);

  bool full() const noexcept { return peers_.size() >= max_peers_; }
  std::vector<net::peer_address> take() && { return std::move(peers_); }

 private:
  std::size_t max_peers_;
  std::vector<net::peer_address> peers_;
  std::set<net::peer_address> seen_;
};

}  // namespace corrent::tracker
