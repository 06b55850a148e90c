// torrent_logic::connected_by_source: the daemon's "peers connected by source" metric.
#include <gtest/gtest.h>

#include "core/torrent/logic_harness.hpp"

namespace corrent::torrent::testing {
namespace {

int of(const std::array<int, swarm::peer_source_count>& a, swarm::peer_source s) {
  return a[static_cast<std::size_t>(s)];
}

TEST(PeerSources, ConnectedPeersAreCountedByTheSourceThatNamedThemFirst) {
  harness h;
  h.set_info();
  h.logic.add_peers({net::peer_address::v4(0x7f000002, 1), net::peer_address::v4(0x7f000003, 1)},
                    swarm::peer_source::tracker, h.now);
  h.logic.add_peers({net::peer_address::v4(0x7f000004, 1)}, swarm::peer_source::dht, h.now);
  // Named by PEX after the tracker: still counted as the tracker's.
  h.logic.add_peers({net::peer_address::v4(0x7f000002, 1), net::peer_address::v4(0x7f000005, 1)},
                    swarm::peer_source::pex, h.now);
  h.take_actions();
  h.connect(0x7f000002, 1);
  h.connect(0x7f000003, 1);
  h.connect(0x7f000004, 1);
  h.connect(0x7f000005, 1);
  h.connect(0x7f000009, 40000, /*outgoing=*/false);
  h.connect(0x7f00000a, 40000, /*outgoing=*/false);
  const auto c = h.logic.connected_by_source();
  EXPECT_EQ(of(c, swarm::peer_source::tracker), 2);
  EXPECT_EQ(of(c, swarm::peer_source::dht), 1);
  EXPECT_EQ(of(c, swarm::peer_source::pex), 1);
  EXPECT_EQ(of(c, swarm::peer_source::incoming), 2);
  EXPECT_EQ(of(c, swarm::peer_source::manual), 0);
  int sum = 0;
  for (int n : c) sum += n;
  EXPECT_EQ(sum, h.logic.connected_peers());
}

}  // namespace
}  // namespace corrent::torrent::testing
