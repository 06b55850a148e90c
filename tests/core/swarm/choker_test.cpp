#include "core/swarm/choker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <vector>

namespace corrent::swarm {
namespace {

std::vector<peer_key> sorted(std::vector<peer_key> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// An interested peer: `down` bytes/s from it to us, `up` bytes/s from us to it.
choke_candidate peer(peer_key key, double down, double up, bool interested = true) {
  return {key, interested, false, down, up};
}

// The session's side: rechokes and applies the result to the peers' `unchoked` flags.
struct swarm {
  std::vector<choke_candidate> peers;
  choker ch;

  std::vector<peer_key> rechoke(double now_s, bool seeding, std::uint64_t random = 0) {
    const auto out = ch.rechoke(peers, now_s, seeding, random);
    for (auto& p : peers) p.unchoked = std::find(out.begin(), out.end(), p.key) != out.end();
    return out;
  }

  // The unchoked peers minus the optimistic one.
  std::vector<peer_key> regular(std::vector<peer_key> unchoked) const {
    if (ch.optimistic()) std::erase(unchoked, *ch.optimistic());
    return sorted(unchoked);
  }
};

// Seven interested peers; download and upload rates rank them in opposite orders, so a
// choker that looks at the wrong rate picks the wrong four.
std::vector<choke_candidate> opposite_rates() {
  return {peer(1, 700, 100), peer(2, 600, 200), peer(3, 500, 300), peer(4, 400, 400),
          peer(5, 300, 500), peer(6, 200, 600), peer(7, 100, 700)};
}

// --- regular slots ---

TEST(Choker, UnchokesFastestUploadersWhileDownloading) {
  swarm s{opposite_rates(), choker{}};
  const auto out = s.rechoke(0, /*seeding=*/false);
  EXPECT_EQ(out.size(), 5u);
  EXPECT_EQ(s.regular(out), (std::vector<peer_key>{1, 2, 3, 4}));
}

TEST(Choker, UnchokesFastestDownloadersWhileSeeding) {
  swarm s{opposite_rates(), choker{}};
  const auto out = s.rechoke(0, /*seeding=*/true);
  EXPECT_EQ(out.size(), 5u);
  EXPECT_EQ(s.regular(out), (std::vector<peer_key>{4, 5, 6, 7}));
}

TEST(Choker, NeverUnchokesUninterestedPeers) {
  // The fastest peers both ways are not interested: there is nothing to send them.
  swarm s{{peer(1, 900, 900, false), peer(2, 800, 800, false), peer(3, 10, 10), peer(4, 5, 5),
           peer(5, 700, 700, false)},
          choker{}};
  for (const bool seeding : {false, true}) {
    for (int round = 0; round < 20; ++round) {
      const auto out = s.rechoke(round * 10.0, seeding, static_cast<std::uint64_t>(round));
      EXPECT_EQ(sorted(out), (std::vector<peer_key>{3, 4})) << "round " << round;
    }
  }
}

TEST(Choker, FewerPeersThanSlotsUnchokesAllInterested) {
  for (const bool seeding : {false, true}) {
    swarm s{{peer(1, 0, 0), peer(2, 50, 0), peer(3, 0, 50), peer(4, 100, 100, false)}, choker{}};
    for (int round = 0; round < 10; ++round) {
      const auto out = s.rechoke(round * 10.0, seeding, static_cast<std::uint64_t>(round) * 7);
      EXPECT_EQ(sorted(out), (std::vector<peer_key>{1, 2, 3}))
          << (seeding ? "seeding" : "downloading") << " round " << round;
    }
  }
}

TEST(Choker, DoesNotFlapBetweenEqualRates) {
  // 5..8 earn the slots, then every rate becomes equal: the incumbents stay, whatever
  // the input order and the randomness.
  swarm s{{}, choker{}};
  for (peer_key k = 1; k <= 8; ++k) s.peers.push_back(peer(k, k >= 5 ? 1000 : 100, 0));
  ASSERT_EQ(s.regular(s.rechoke(0, false, 3)), (std::vector<peer_key>{5, 6, 7, 8}));
  for (auto& p : s.peers) p.download_rate = 500;
  for (int round = 1; round <= 12; ++round) {
    std::rotate(s.peers.begin(), s.peers.begin() + 3, s.peers.end());
    const auto out = s.rechoke(round * 10.0, false, static_cast<std::uint64_t>(round) * 11);
    EXPECT_EQ(s.regular(out), (std::vector<peer_key>{5, 6, 7, 8})) << "round " << round;
  }
}

// --- optimistic unchoke ---

TEST(Choker, AddsOneOptimisticUnchokeOutsideRegularSlots) {
  swarm s{opposite_rates(), choker{}};
  const auto out = s.rechoke(0, false, 1);
  ASSERT_TRUE(s.ch.optimistic().has_value());
  const peer_key opt = *s.ch.optimistic();
  EXPECT_GE(opt, 5u);  // not one of the four fastest
  EXPECT_LE(opt, 7u);
  EXPECT_EQ(std::count(out.begin(), out.end(), opt), 1);
  EXPECT_EQ(out.size(), 5u);
}

TEST(Choker, OptimisticChoiceFollowsRandomness) {
  std::set<peer_key> chosen;
  for (std::uint64_t random = 0; random < 64; ++random) {
    swarm s{opposite_rates(), choker{}};
    s.rechoke(0, false, random);
    ASSERT_TRUE(s.ch.optimistic().has_value());
    chosen.insert(*s.ch.optimistic());
  }
  EXPECT_EQ(chosen, (std::set<peer_key>{5, 6, 7}));
}

TEST(Choker, KeepsOptimisticForThirtySecondsThenRotates) {
  swarm s{opposite_rates(), choker{}};
  s.rechoke(0, false, 0);
  ASSERT_TRUE(s.ch.optimistic().has_value());
  const peer_key first = *s.ch.optimistic();
  for (const double t : {10.0, 20.0, 29.5}) {
    const auto out = s.rechoke(t, false, static_cast<std::uint64_t>(t) + 1);
    EXPECT_EQ(s.ch.optimistic(), first) << "t=" << t;
    EXPECT_NE(std::find(out.begin(), out.end(), first), out.end()) << "t=" << t;
  }
  const auto out = s.rechoke(30, false, 0);  // the same randomness as at t=0
  ASSERT_TRUE(s.ch.optimistic().has_value());
  const peer_key second = *s.ch.optimistic();
  EXPECT_NE(second, first);
  EXPECT_EQ(std::find(out.begin(), out.end(), first), out.end());  // choked again
  for (const double t : {40.0, 50.0}) {
    s.rechoke(t, false, static_cast<std::uint64_t>(t));
    EXPECT_EQ(s.ch.optimistic(), second) << "t=" << t;
  }
}

TEST(Choker, ReplacesOptimisticThatLosesInterest) {
  swarm s{opposite_rates(), choker{}};
  s.rechoke(0, false, 0);
  ASSERT_TRUE(s.ch.optimistic().has_value());
  const peer_key first = *s.ch.optimistic();
  for (auto& p : s.peers) p.interested = p.key != first;
  const auto out = s.rechoke(10, false, 0);
  ASSERT_TRUE(s.ch.optimistic().has_value());
  EXPECT_NE(*s.ch.optimistic(), first);
  EXPECT_EQ(std::find(out.begin(), out.end(), first), out.end());
}

TEST(Choker, RemoveForgetsOptimistic) {
  swarm s{opposite_rates(), choker{}};
  s.rechoke(0, false, 2);
  ASSERT_TRUE(s.ch.optimistic().has_value());
  const peer_key gone = *s.ch.optimistic();
  s.ch.remove(gone);
  EXPECT_FALSE(s.ch.optimistic().has_value());
  std::erase_if(s.peers, [&](const choke_candidate& p) { return p.key == gone; });
  const auto out = s.rechoke(10, false, 2);  // well inside the 30 s period
  ASSERT_TRUE(s.ch.optimistic().has_value());
  EXPECT_NE(*s.ch.optimistic(), gone);
  EXPECT_EQ(out.size(), 5u);
}

TEST(Choker, ForgetsPeersMissingFromTheList) {
  // A peer that left without remove() is not unchoked again and loses the optimistic slot.
  swarm s{opposite_rates(), choker{}};
  s.rechoke(0, false, 0);
  ASSERT_TRUE(s.ch.optimistic().has_value());
  const peer_key gone = *s.ch.optimistic();
  std::erase_if(s.peers, [&](const choke_candidate& p) { return p.key == gone || p.key == 1; });
  const auto out = s.rechoke(10, false, 0);
  EXPECT_EQ(std::count_if(out.begin(), out.end(), [&](peer_key k) { return k == gone || k == 1; }),
            0);
  // Five peers remain (keys ascend as download rates fall): the four fastest are regular
  // and the fifth is the only one left for the optimistic slot.
  std::vector<peer_key> left;
  for (const auto& p : s.peers) left.push_back(p.key);
  left = sorted(left);
  ASSERT_EQ(left.size(), 5u);
  EXPECT_EQ(s.regular(out), std::vector<peer_key>(left.begin(), left.begin() + 4));
  EXPECT_EQ(s.ch.optimistic(), left[4]);
}

// --- seeding rotation ---

TEST(Choker, RotatesSeedingSlotsSoEveryInterestedPeerIsServed) {
  // Ten interested peers, all with different upload rates, rechoked every 10 s for ten
  // minutes. Counting regular slots only: the optimistic unchoke alone must not be what
  // serves everyone.
  const choker_config config{};
  swarm s{{}, choker{config}};
  for (peer_key k = 1; k <= 10; ++k) s.peers.push_back(peer(k, 0, 1000.0 * k));

  std::set<peer_key> served;
  std::map<peer_key, double> stint_start;  // regular peers -> since when
  std::uint64_t random = 12345;
  for (int step = 0; step <= 60; ++step) {
    const double now = step * 10.0;
    random = random * 6364136223846793005ULL + 1442695040888963407ULL;
    const auto out = s.rechoke(now, /*seeding=*/true, random >> 33);
    ASSERT_LE(out.size(), config.regular_slots + 1);
    const auto regular = s.regular(out);
    EXPECT_EQ(regular.size(), config.regular_slots) << "t=" << now;
    served.insert(regular.begin(), regular.end());
    // A peer rotated in keeps its slot for a whole period: no 10-second flaps.
    for (auto it = stint_start.begin(); it != stint_start.end();) {
      if (!std::binary_search(regular.begin(), regular.end(), it->first)) {
        EXPECT_GE(now - it->second, config.seed_rotation_s) << "peer " << it->first;
        it = stint_start.erase(it);
      } else {
        ++it;
      }
    }
    for (const peer_key k : regular) stint_start.emplace(k, now);
  }
  EXPECT_EQ(served.size(), 10u);

  // While downloading the same rates keep the same four: rotation is a seeding policy.
  swarm d{s.peers, choker{config}};
  for (auto& p : d.peers) p.download_rate = p.upload_rate;
  std::set<peer_key> downloading_served;
  for (int step = 0; step <= 60; ++step) {
    const auto regular = d.regular(d.rechoke(step * 10.0, false, static_cast<std::uint64_t>(step)));
    downloading_served.insert(regular.begin(), regular.end());
  }
  EXPECT_EQ(downloading_served, (std::set<peer_key>{7, 8, 9, 10}));
}

TEST(Choker, SeedingFillsFreedSlotWithFastestWaiter) {
  // A regular peer leaves before its period ends: its slot goes to the fastest waiter,
  // while the others keep theirs.
  swarm s{opposite_rates(), choker{}};
  ASSERT_EQ(s.regular(s.rechoke(0, true, 0)), (std::vector<peer_key>{4, 5, 6, 7}));
  const peer_key opt = *s.ch.optimistic();
  std::erase_if(s.peers, [](const choke_candidate& p) { return p.key == 7; });
  s.ch.remove(7);
  const auto out = s.rechoke(10, true, 0);
  std::vector<peer_key> expected{4, 5, 6, opt == 3 ? peer_key{2} : peer_key{3}};
  EXPECT_EQ(s.regular(out), sorted(expected));
}

}  // namespace
}  // namespace corrent::swarm
