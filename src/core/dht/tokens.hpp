// dht::tokens — the write tokens a get_peers reply hands out and an announce_peer must
// bring back (BEP 5), so a node can only announce its own address: a token is the first
// 8 bytes of SHA-1(secret || the querier's IP bytes), the IP without its port (4 bytes,
// or 16 for IPv6). The secret changes every `rotate_every_s` (5 minutes) and the previous
// one is still accepted, so a token stays good for 5 to 10 minutes. Tokens are checked
// against the clock too: if the caller is late to rotate, a secret's tokens still stop
// being accepted two periods after it was set, the previous one's a period after the
// current one was set. Pure: the caller brings the time and the random secret bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/net/peer_address.hpp"

namespace corrent::dht {

class tokens {
 public:
  static constexpr double rotate_every_s = 5 * 60;
  static constexpr std::size_t token_size = 8;

  // `secret`: random bytes (any length; 20 is plenty).
  tokens(std::string_view secret, double now);

  // Whether rotate() is due.
  bool rotation_due(double now) const { return now - rotated_at_ >= rotate_every_s; }
  // The current secret becomes the previous one.
  void rotate(std::string_view new_secret, double now);

  // The token for a querier at `from` (its port does not matter).
  std::string make(const net::peer_address& from) const;
  // Whether `token` was made for `from`'s IP by the current or the previous secret, and
  // that secret is recent enough (see above).
  bool valid(std::string_view token, const net::peer_address& from, double now) const;

 private:
  static std::string make(std::string_view secret, const net::peer_address& from);
  std::string current_;
  std::string previous_;
  bool has_previous_ = false;
  double rotated_at_;
};

}  // namespace corrent::dht
