// tracker::tier — one BEP 12 tier of announce URLs and when to announce to it.
// The URLs are shuffled once (randomness passed in); they are tried in order, and one that
// answers moves to the front. The schedule is pure: time is passed in as seconds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace corrent::tracker {

class tier {
 public:
  tier(std::vector<std::string> urls, std::uint64_t random);

  const std::vector<std::string>& urls() const { return urls_; }
  // BEP 12: the tracker that answered goes to the front of its tier.
  void on_success(std::string_view url);

 private:
  std::vector<std::string> urls_;
};

// When a tier announces again.
struct announce_schedule {
  double interval_s = 1800;    // from the tracker (clamped by the caller)
  double min_interval_s = 15;  // from the tracker, or our own floor when it sets none

  // After a round that succeeded (ok) or failed; failures back off 15, 30, 60 ... 300 s.
  void on_round(bool ok);
  double backoff_s() const { return backoff_s_; }
  // Whether to announce now, `since_last_s` after the last round: the interval is over,
  // or (after a success, while downloading) fewer than `low_peers` peers are connected and
  // `min interval` has passed.
  bool due(double since_last_s, int connected_peers, bool seeding, int low_peers = 5) const;

 private:
  bool last_ok_ = false;
  int failures_ = 0;
  double backoff_s_ = 15;
};

}  // namespace corrent::tracker
