// torrent_logic and protocol encryption: a peer that refused our encrypted handshake (and
// then worked in plaintext) is dialled in plaintext from then on.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/torrent/logic_harness.hpp"

namespace corrent::torrent::testing {
namespace {

const action* dial_of(const harness& h, const net::peer_address& a) {
  const auto it = std::find_if(h.other.begin(), h.other.end(), [&](const action& x) {
    return x.kind == action_kind::connect && x.address == a;
  });
  return it == h.other.end() ? nullptr : &*it;
}

TEST(EncryptionLogic, APeerThatRefusedMseIsDialledInPlaintextNextTime) {
  harness h;
  h.set_info();
  const auto refuser = net::peer_address::v4(0x7f000002, 1);
  const auto other = net::peer_address::v4(0x7f000003, 1);
  h.logic.add_peers({refuser, other}, swarm::peer_source::tracker, h.now);
  h.take_actions();
  ASSERT_NE(dial_of(h, refuser), nullptr);
  EXPECT_FALSE(dial_of(h, refuser)->plaintext) << "first dial tries the encrypted handshake";
  EXPECT_FALSE(dial_of(h, other)->plaintext);
  h.other.clear();

  // The dial to `refuser` fell back to plaintext and worked; later the connection ends.
  h.logic.on_plaintext_only(refuser);
  const auto key = h.connect(0x7f000002, 1);
  h.logic.on_peer_closed(key, h.now);
  h.logic.on_connect_failed(other, peer::close_reason::connect_failed, h.now);
  for (int i = 0; i < 4 && !dial_of(h, refuser); ++i) {
    h.logic.on_tick(h.now += 30);
    h.take_actions();
  }
  ASSERT_NE(dial_of(h, refuser), nullptr);
  EXPECT_TRUE(dial_of(h, refuser)->plaintext);
  ASSERT_NE(dial_of(h, other), nullptr);
  EXPECT_FALSE(dial_of(h, other)->plaintext) << "only the peer that refused";
}

}  // namespace
}  // namespace corrent::torrent::testing
