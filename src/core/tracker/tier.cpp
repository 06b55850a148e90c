#include "core/tracker/tier.hpp"

#include <algorithm>

namespace corrent::tracker {

tier::tier(std::vector<std::string> urls, std::uint64_t random) : urls_(std::move(urls)) {
  // Fisher-Yates with a small LCG stream seeded by `random` (deterministic for tests).
  std::uint64_t x = random;
  for (std::size_t i = urls_.size(); i > 1; --i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    std::swap(urls_[i - 1], urls_[(x >> 33) % i]);
  }
}

void tier::on_success(std::string_view url) {
  auto it = std::find(urls_.begin(), urls_.end(), url);
  if (it != urls_.end()) std::rotate(urls_.begin(), it, it + 1);
}

void announce_schedule::on_round(bool ok) {
  last_ok_ = ok;
  if (ok) {
    failures_ = 0;
    return;
  }
  backoff_s_ = std::min(300.0, 15.0 * static_cast<double>(1 << std::min(failures_, 5)));
  ++failures_;
}

bool announce_schedule::due(double since_last_s, int connected_peers, bool seeding,
                            int low_peers) const {
  const double wait = last_ok_ ? interval_s : backoff_s_;
  if (since_last_s >= wait) return true;
  return last_ok_ && !seeding && connected_peers < low_peers && since_last_s >= min_interval_s;
}

}  // namespace corrent::tracker
