// swarm::bandwidth_channel — one node of the bandwidth tree (session -> torrent -> peer):
// a token bucket that may have a parent. Bytes spent at a node are spent at every node
// above it, and what a node may spend now is the least that any node on its way to the
// root allows, so a session-wide limit holds whatever its torrents do, and a torrent's
// own limit holds inside it. A rate of 0 means no limit at that node.
// Pure: time is passed in as seconds on any monotonic clock. The parent must outlive it.
#pragma once

#include <algorithm>

#include "core/swarm/token_bucket.hpp"
#include "core/wire/message.hpp"

namespace corrent::swarm {

class bandwidth_channel {
 public:
  explicit bandwidth_channel(bandwidth_channel* parent = nullptr) : parent_(parent) {}

  // Bytes per second (0: unlimited). Burst: a fifth of a second of the rate, at least
  // four blocks, so limits hold within a few percent over seconds without stalling blocks.
  void set_rate(double bytes_per_s) {
    rate_ = bytes_per_s;
    bucket_ = bytes_per_s > 0
                  ? token_bucket(bytes_per_s, std::max(bytes_per_s * 0.2, 4.0 * wire::block_size))
                  : token_bucket();
  }
  double rate() const { return rate_; }

  // This node or one above it has a limit.
  bool limited() const { return bucket_.limited() || (parent_ && parent_->limited()); }

  // Bytes that may be spent now (a very large number when nothing limits).
  double available(double now_s) {
    double a = bucket_.available(now_s);
    if (parent_) a = std::min(a, parent_->available(now_s));
    return a;
  }

  // Spends `bytes` here and at every node above (may go negative: a block is never split).
  void consume(double bytes, double now_s) {
    bucket_.consume(bytes, now_s);
    if (parent_) parent_->consume(bytes, now_s);
  }

 private:
  bandwidth_channel* parent_;
  token_bucket bucket_;
  double rate_ = 0;
};

}  // namespace corrent::swarm
