// Fuzz target: UDP tracker replies (BEP 15), parsed as every reply kind with IPv4 and IPv6
// peers, under a few transaction ids. Properties: no crash, and accepted replies honour
// the limits (usable peers of the asked family, at most max_peers; one scrape entry per
// asked hash).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/tracker/udp.hpp"

namespace udp = corrent::tracker::udp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // The packet's own id (bytes 4..8) makes the id check pass; 0 and 0xffffffff often fail.
  std::uint32_t own = 0;
  for (std::size_t i = 4; i < 8 && i < size; ++i) own = (own << 8) | data[i];
  corrent::tracker::response_limits limits;
  limits.max_peers = 20;
  for (std::uint32_t txid : {own, 0u, 0xffffffffu}) {
    (void)udp::parse_connect(in, txid);
    for (bool ipv6 : {false, true}) {
      auto r = udp::parse_announce(in, txid, ipv6, limits);
      if (r && r->peers.size() > limits.max_peers) std::abort();
      if (r && !r->failure_reason) {
        for (const auto& p : r->peers) {
          if (!p.is_usable() || p.is_v6 != ipv6) std::abort();
        }
      }
    }
    for (std::size_t count : {std::size_t{0}, std::size_t{1}, std::size_t{3}, size / 12}) {
      auto r = udp::parse_scrape(in, txid, count);
      if (r && r->size() != count) std::abort();
    }
  }
  return 0;
}
