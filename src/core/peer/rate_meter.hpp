// peer::rate_meter — a byte counter with a smoothed rate, ticked with the seconds since
// the last tick (the torrent's once-a-second tick). Pure: no clock of its own.
#pragma once

#include <cstdint>

namespace corrent::peer {

struct rate_meter {
  std::int64_t total = 0;
  std::int64_t last_total = 0;
  double rate = 0;  // bytes per second

  void tick(double seconds) {
    if (seconds <= 0) return;
    const double inst = static_cast<double>(total - last_total) / seconds;
    rate = rate == 0 ? inst : 0.6 * inst + 0.4 * rate;
    last_total = total;
  }
};

}  // namespace corrent::peer
