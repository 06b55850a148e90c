#include "core/dht/peer_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace corrent::dht {
namespace {

node_id hash(std::uint8_t n) {
  node_id id;
  id.bytes[0] = n;
  id.bytes[19] = 0x5a;
  return id;
}

net::peer_address peer(std::uint32_t n, std::uint16_t port = 6881) {
  return net::peer_address::v4(0x5a000000 + n, port);
}

std::set<net::peer_address> as_set(const std::vector<net::peer_address>& v) {
  return {v.begin(), v.end()};
}

TEST(PeerStore, ReturnsTheAnnouncedPeersOfAnInfoHash) {
  peer_store s;
  EXPECT_TRUE(s.announce(hash(1), peer(1), 0));
  EXPECT_TRUE(s.announce(hash(1), peer(2), 0));
  EXPECT_TRUE(s.announce(hash(1), peer(1, 7000), 0));  // same IP, another client
  EXPECT_TRUE(s.announce(hash(2), peer(3), 0));
  EXPECT_EQ(as_set(s.get(hash(1), 10, 1, 0)),
            (std::set<net::peer_address>{peer(1), peer(2), peer(1, 7000)}));
  EXPECT_EQ(s.get(hash(2), 10, 1, 0), std::vector<net::peer_address>{peer(3)});
  EXPECT_TRUE(s.get(hash(3), 10, 1, 0).empty());
  EXPECT_EQ(s.info_hash_count(), 2u);
  EXPECT_EQ(s.total_peers(), 4u);
}

TEST(PeerStore, AnnouncingAgainKeepsOneEntry) {
  peer_store s;
  s.announce(hash(1), peer(1), 0);
  s.announce(hash(1), peer(1), 10);
  EXPECT_EQ(s.peer_count(hash(1)), 1u);
  EXPECT_EQ(s.total_peers(), 1u);
}

TEST(PeerStore, RefusesUnusableAddresses) {
  peer_store s;
  EXPECT_FALSE(s.announce(hash(1), peer(1, 0), 0));
  EXPECT_FALSE(s.announce(hash(1), net::peer_address::v4(0, 6881), 0));
  EXPECT_FALSE(s.announce(hash(1), net::peer_address::v4(0xe0000001, 6881), 0));  // multicast
  EXPECT_EQ(s.info_hash_count(), 0u);
}

TEST(PeerStore, EntriesExpireAfterThirtyMinutesUnlessAnnouncedAgain) {
  peer_store s;
  s.announce(hash(1), peer(1), 0);
  s.announce(hash(1), peer(2), 0);
  s.announce(hash(2), peer(3), 0);
  s.announce(hash(1), peer(2), 1000);  // refreshed
  EXPECT_EQ(s.get(hash(1), 10, 1799, 0).size(), 2u);
  EXPECT_EQ(s.get(hash(1), 10, 1800, 0),
            std::vector<net::peer_address>{peer(2)});  // before expire()
  s.expire(1800);
  EXPECT_EQ(s.peer_count(hash(1)), 1u);
  EXPECT_EQ(s.peer_count(hash(2)), 0u);
  EXPECT_EQ(s.info_hash_count(), 1u);  // hash(2) had nothing left
  s.expire(2800);
  EXPECT_EQ(s.info_hash_count(), 0u);
  EXPECT_EQ(s.total_peers(), 0u);
}

TEST(PeerStore, AFullSwarmDropsItsOldestPeer) {
  peer_store_config c;
  c.max_peers_per_hash = 3;
  peer_store s(c);
  s.announce(hash(1), peer(1), 0);
  s.announce(hash(1), peer(2), 1);
  s.announce(hash(1), peer(3), 2);
  s.announce(hash(1), peer(1), 3);  // peer 2 is now the oldest
  s.announce(hash(1), peer(4), 4);
  EXPECT_EQ(as_set(s.get(hash(1), 10, 5, 0)),
            (std::set<net::peer_address>{peer(1), peer(3), peer(4)}));
  EXPECT_EQ(s.total_peers(), 3u);
}

TEST(PeerStore, AFullStoreDropsTheSwarmAnnouncedToLongestAgo) {
  peer_store_config c;
  c.max_info_hashes = 3;
  peer_store s(c);
  s.announce(hash(1), peer(1), 0);
  s.announce(hash(2), peer(2), 1);
  s.announce(hash(3), peer(3), 2);
  s.announce(hash(1), peer(4), 3);  // hash 1 is fresh again: hash 2 is the oldest
  s.announce(hash(4), peer(5), 4);
  EXPECT_EQ(s.info_hash_count(), 3u);
  EXPECT_EQ(s.peer_count(hash(2)), 0u);
  EXPECT_EQ(s.peer_count(hash(1)), 2u);
  EXPECT_EQ(s.peer_count(hash(4)), 1u);
  EXPECT_EQ(s.total_peers(), 4u);
}

TEST(PeerStore, StaysBoundedUnderAFlood) {
  peer_store_config c;
  c.max_info_hashes = 20;
  c.max_peers_per_hash = 50;
  peer_store s(c);
  for (std::uint32_t i = 0; i < 20000; ++i)  // many peers in a few swarms
    s.announce(hash(static_cast<std::uint8_t>(i % 10)), peer(i), i * 0.01);
  EXPECT_EQ(s.info_hash_count(), 10u);
  EXPECT_EQ(s.total_peers(), 10u * 50u);
  for (std::uint32_t i = 0; i < 20000; ++i)  // then many swarms
    s.announce(hash(static_cast<std::uint8_t>(10 + i % 200)), peer(i), 200 + i * 0.01);
  EXPECT_EQ(s.info_hash_count(), 20u);
  EXPECT_LE(s.total_peers(), 20u * 50u);
}

TEST(PeerStore, HandsOutARandomSampleWhenItHasMore) {
  peer_store s;
  for (std::uint32_t i = 0; i < 100; ++i) s.announce(hash(1), peer(i), 0);
  std::set<net::peer_address> seen;
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    const auto sample = s.get(hash(1), 8, 1, seed);
    ASSERT_EQ(sample.size(), 8u);
    EXPECT_EQ(as_set(sample).size(), 8u) << "no duplicates";
    seen.insert(sample.begin(), sample.end());
  }
  EXPECT_GT(seen.size(), 90u);  // 400 draws of 100: not always the same few
  EXPECT_NE(s.get(hash(1), 8, 1, 1), s.get(hash(1), 8, 1, 2));
  EXPECT_EQ(s.get(hash(1), 8, 1, 7), s.get(hash(1), 8, 1, 7));
  EXPECT_EQ(s.get(hash(1), 200, 1, 7).size(), 100u);
  EXPECT_TRUE(s.get(hash(1), 0, 1, 7).empty());
}

}  // namespace
}  // namespace corrent::dht
