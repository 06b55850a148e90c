// Fuzz target: HTTP tracker replies (BEP 3, 7, 23, 48). Properties: never crashes, and
// every accepted announce honours the limits: peers usable, unique, at most max_peers.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

#include "core/tracker/announce.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  corrent::tracker::response_limits limits;
  limits.max_peers = 50;
  if (auto r = corrent::tracker::parse_announce_response(in, limits); r && !r->failure_reason) {
    if (r->peers.size() > limits.max_peers) std::abort();
    std::set<corrent::net::peer_address> seen;
    for (const auto& p : r->peers) {
      if (!p.is_usable() || !seen.insert(p).second) std::abort();
    }
  }
  // Bytes 12..32 are the first key in "d5:filesd20:<info-hash>...", so a seed scrape reply
  // can name the hash that is looked up.
  corrent::crypto::sha1_digest hash{};
  if (size >= 32) std::copy(data + 12, data + 32, hash.begin());
  (void)corrent::tracker::parse_scrape_response(in, hash);
  return 0;
}
