// swarm::token_bucket — a byte-rate limit (--max-upload-rate, --max-download-rate).
// Tokens (bytes) accrue at `rate` per second up to `burst`; time is passed in (seconds
// on any monotonic clock) so it is deterministic. A rate of 0 means unlimited.
#pragma once

#include <algorithm>
#include <cstdint>

namespace corrent::swarm {

class token_bucket {
 public:
  token_bucket() = default;
  token_bucket(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}

  bool limited() const { return rate_ > 0; }

  // Bytes that may be spent now.
  double available(double now_s) {
    refill(now_s);
    return limited() ? tokens_ : 1e18;
  }

  // Spends `bytes` (may go negative: a block in flight is never split).
  void consume(double bytes, double now_s) {
    if (!limited()) return;
    refill(now_s);
    tokens_ -= bytes;
  }

 private:
  void refill(double now_s) {
    if (now_s > last_s_) {
      tokens_ = std::min(burst_, tokens_ + (now_s - last_s_) * rate_);
      last_s_ = now_s;
    }
  }

  double rate_ = 0;
  double burst_ = 0;
  double tokens_ = 0;
  double last_s_ = 0;
};

}  // namespace corrent::swarm
