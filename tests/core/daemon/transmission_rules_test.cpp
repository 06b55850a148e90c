// The Transmission RPC's rules (core/daemon/transmission_rules).
#include "core/daemon/transmission_rules.hpp"

#include <gtest/gtest.h>

namespace corrent::daemon::transmission {
namespace {

TEST(TransmissionRules, StatusCodesFromTheNativeStates) {
  EXPECT_EQ(status_of("checking"), status::checking);
  EXPECT_EQ(status_of("downloading"), status::downloading);
  EXPECT_EQ(status_of("fetching_metadata"), status::downloading);
  EXPECT_EQ(status_of("seeding"), status::seeding);
  EXPECT_EQ(status_of("paused"), status::stopped);
  EXPECT_EQ(status_of("finished"), status::stopped);
  EXPECT_EQ(status_of("error"), status::stopped);
  EXPECT_EQ(static_cast<int>(status::seeding), 6);
}

TEST(TransmissionRules, EtaSentinels) {
  EXPECT_EQ(eta(0, 1000, true), -1) << "nothing left: not available";
  EXPECT_EQ(eta(5000, 1000, false), -1) << "not downloading";
  EXPECT_EQ(eta(5000, 0, true), -2) << "nothing coming in: unknown";
  EXPECT_EQ(eta(5000, 1000, true), 5);
}

TEST(TransmissionRules, RatioSentinels) {
  EXPECT_DOUBLE_EQ(ratio(0, 0, 0), -1.0);
  EXPECT_DOUBLE_EQ(ratio(10, 0, 0), -2.0);
  EXPECT_DOUBLE_EQ(ratio(50, 100, 0), 0.5);
  EXPECT_DOUBLE_EQ(ratio(50, 0, 200), 0.25) << "data that was there already counts";
}

TEST(TransmissionRules, FlagStrings) {
  peer_flags f;
  EXPECT_EQ(flag_str(f), "");
  f.am_interested = true;
  EXPECT_EQ(flag_str(f), "d");
  f.peer_choking = false;
  EXPECT_EQ(flag_str(f), "D");
  f.peer_interested = true;
  EXPECT_EQ(flag_str(f), "Du");
  f.am_choking = false;
  f.encrypted = true;
  f.incoming = true;
  EXPECT_EQ(flag_str(f), "DUEI");
  peer_flags g;
  g.peer_choking = false;
  g.am_choking = false;
  g.from_pex = true;
  EXPECT_EQ(flag_str(g), "K?X");
}

TEST(TransmissionRules, IdsAreSmallStableAndNewAfterARemove) {
  id_map m;
  EXPECT_EQ(m.id_of("aa"), 1);
  EXPECT_EQ(m.id_of("bb"), 2);
  EXPECT_EQ(m.id_of("aa"), 1);
  EXPECT_EQ(m.hash_of(2), "bb");
  EXPECT_FALSE(m.hash_of(3));
  m.on_removed("aa", 100);
  EXPECT_FALSE(m.find("aa"));
  EXPECT_EQ(m.removed_since(50), (std::vector<std::int64_t>{1}));
  EXPECT_TRUE(m.removed_since(101).empty());
  EXPECT_EQ(m.id_of("aa"), 3) << "added again: a new id";
}

TEST(TransmissionRules, SelectionByIdsAndHashes) {
  id_selection all;
  all.all = true;
  EXPECT_TRUE(all.selects(7, "x"));
  id_selection some;
  some.ids = {1, 3};
  some.hashes = {"cc"};
  EXPECT_TRUE(some.selects(1, "aa"));
  EXPECT_FALSE(some.selects(2, "bb"));
  EXPECT_TRUE(some.selects(9, "cc"));
}

}  // namespace
}  // namespace corrent::daemon::transmission
