// qBittorrent Web API v2's rules (core/daemon/qbittorrent_rules).
#include "core/daemon/qbittorrent_rules.hpp"

#include <gtest/gtest.h>

namespace corrent::daemon::qbittorrent {
namespace {

TEST(QbittorrentRules, StateStringsAsSonarrReadsThem) {
  EXPECT_EQ(state_of("downloading", false, 5000, 0), "downloading");
  EXPECT_EQ(state_of("downloading", false, 0, 0), "stalledDL");
  EXPECT_EQ(state_of("fetching_metadata", false, 0, 0), "metaDL");
  EXPECT_EQ(state_of("seeding", true, 0, 100), "uploading");
  EXPECT_EQ(state_of("seeding", true, 0, 0), "stalledUP");
  EXPECT_EQ(state_of("paused", false, 0, 0), "pausedDL");
  EXPECT_EQ(state_of("paused", true, 0, 0), "pausedUP");
  EXPECT_EQ(state_of("finished", true, 0, 0), "pausedUP");
  EXPECT_EQ(state_of("checking", false, 0, 0), "checkingDL");
  EXPECT_EQ(state_of("checking", true, 0, 0), "checkingUP");
  EXPECT_EQ(state_of("error", false, 0, 0), "error");
}

TEST(QbittorrentRules, Filters) {
  EXPECT_EQ(passes("all", "pausedDL", 0, 0), true);
  EXPECT_EQ(passes("", "error", 0, 0), true);
  EXPECT_EQ(passes("downloading", "stalledDL", 0, 0), true);
  EXPECT_EQ(passes("downloading", "uploading", 0, 5), false);
  EXPECT_EQ(passes("seeding", "stalledUP", 0, 0), true);
  EXPECT_EQ(passes("seeding", "pausedUP", 0, 0), false);
  EXPECT_EQ(passes("completed", "pausedUP", 0, 0), true);
  EXPECT_EQ(passes("completed", "downloading", 9, 0), false);
  EXPECT_EQ(passes("paused", "pausedDL", 0, 0), true);
  EXPECT_EQ(passes("stopped", "pausedUP", 0, 0), true);
  EXPECT_EQ(passes("resumed", "pausedUP", 0, 0), false);
  EXPECT_EQ(passes("running", "stalledDL", 0, 0), true);
  EXPECT_EQ(passes("active", "stalledDL", 0, 0), false);
  EXPECT_EQ(passes("active", "downloading", 10, 0), true);
  EXPECT_EQ(passes("inactive", "stalledUP", 0, 0), true);
  EXPECT_EQ(passes("errored", "error", 0, 0), true);
  EXPECT_EQ(passes("stalled_uploading", "stalledUP", 0, 0), true);
  EXPECT_EQ(passes("checking", "checkingDL", 0, 0), true);
  EXPECT_FALSE(passes("bogus", "error", 0, 0).has_value());
}

TEST(QbittorrentRules, EtaAndRatioSentinels) {
  EXPECT_EQ(eta(0, 100), max_eta);
  EXPECT_EQ(eta(1000, 0), max_eta);
  EXPECT_EQ(eta(1000, 100), 10);
  EXPECT_EQ(eta(std::int64_t{1} << 50, 1), max_eta);
  EXPECT_DOUBLE_EQ(ratio(0, 0), 0);
  EXPECT_DOUBLE_EQ(ratio(5, 0), max_ratio);
  EXPECT_DOUBLE_EQ(ratio(5, 10), 0.5);
}

TEST(QbittorrentRules, HashesArgument) {
  EXPECT_FALSE(parse_hashes("all").has_value());
  EXPECT_EQ(parse_hashes("AB|cd||ef"), (std::vector<std::string>{"ab", "cd", "ef"}));
  EXPECT_EQ(parse_hashes(""), (std::vector<std::string>{}));
}

}  // namespace
}  // namespace corrent::daemon::qbittorrent
