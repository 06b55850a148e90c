// Fuzz target: wire::ext::decode_pex (BEP 11 ut_pex). The first input byte picks
// max_peers (0..255). Properties: no crash or out-of-bounds read; an accepted message
// honours its bounds (at most max_peers added and dropped per family, no port 0, v4
// before v6 in added); encoding it and decoding that gives the same message back.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/wire/extension/ut_pex.hpp"

namespace ext = corrent::wire::ext;

namespace {

struct counts {
  std::size_t v4 = 0;
  std::size_t v6 = 0;
};

void check(const corrent::net::peer_address& a, counts& c) {
  if (a.port == 0) std::abort();
  ++(a.is_v6 ? c.v6 : c.v4);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t max_peers = data[0];
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto r = ext::decode_pex(in, max_peers);
  if (!r) return 0;
  const ext::pex_message& m = *r;

  counts added, dropped;
  for (const auto& p : m.added) {
    if (!p.address.is_v6 && added.v6 > 0) std::abort();  // v4 first
    check(p.address, added);
  }
  for (const auto& a : m.dropped) check(a, dropped);
  if (added.v4 > max_peers || added.v6 > max_peers || dropped.v4 > max_peers ||
      dropped.v6 > max_peers) {
    std::abort();
  }

  auto back = ext::decode_pex(ext::encode_pex(m), max_peers);
  if (!back || *back != m) std::abort();
  return 0;
}
