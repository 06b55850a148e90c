#include "core/swarm/download_slots.hpp"

#include <algorithm>

namespace corrent::swarm {

void download_slots::tick(double rate, std::size_t busy, bool waiting) {
  if (cooldown_ > 0) --cooldown_;
  if (before_growth_ != 0) {
    ++since_growth_;
    if (rate >= rate_before_ * config_.gain) {
      before_growth_ = 0;  // it paid: keep it, and another may follow now
    } else if (since_growth_ >= config_.settle_ticks) {
      cap_ = before_growth_;  // it did not: undo, and probe again later
      before_growth_ = 0;
      cooldown_ = config_.probe_ticks;
      return;
    } else {
      return;
    }
  }
  if (!waiting || busy < cap_ || cooldown_ > 0) return;
  before_growth_ = cap_;
  rate_before_ = rate;
  since_growth_ = 0;
  cap_ = std::max(cap_ + 1, cap_ * 3 / 2);
}

}  // namespace corrent::swarm
