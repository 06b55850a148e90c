// swarm::download_slots — how many peers the session keeps requests outstanding with at
// once (the peers it downloads from; the others stay connected and interested).
//
// Every sender costs wake-ups, reads and request writes on both ends, so when a few peers
// already fill what this machine can take in, more of them only add that cost: with 20
// seeders on the same two cores the download took 1.2x as long as with 4 (each seeder is
// a process competing for the CPU). The number starts at `initial` and grows while
// growing pays: each second the session reports the download rate and whether a peer is
// waiting (it unchoked us and has pieces we want, but has no requests). When every slot
// is busy and a peer waits, the cap grows by half (at least one); if the rate then rose
// by `gain` within `settle_ticks` seconds the growth stays and the next may follow at
// once, otherwise it is undone and the next probe waits `probe_ticks` seconds. A swarm of
// slow peers (tens of KB/s each, the usual case on the internet) gains from every peer,
// so it reaches 100 peers in about 9 s: 4, 6, 9, 13, 19, 28, 42, 63, 94, 141.
// Pure and deterministic: the session calls tick() from its once-a-second status loop.
#pragma once

#include <cstddef>

namespace corrent::swarm {

struct download_slots_config {
  std::size_t initial = 4;
  double gain = 1.10;    // a growth pays when the rate rose by 10 %
  int settle_ticks = 2;  // ticks to wait for a growth to show in the (smoothed) rate
  int probe_ticks = 10;  // ticks to wait after a growth that did not pay
};

class download_slots {
 public:
  explicit download_slots(download_slots_config config = {})
      : config_(config), cap_(config.initial) {}

  // Peers that may have requests outstanding at once.
  std::size_t cap() const { return cap_; }

  // Once a second: `rate` is the download rate (bytes/s), `busy` the peers with requests
  // outstanding, `waiting` whether a peer could be given requests but is not.
  void tick(double rate, std::size_t busy, bool waiting);

 private:
  download_slots_config config_;
  std::size_t cap_;
  std::size_t before_growth_ = 0;  // the cap before the growth being judged, 0: none
  double rate_before_ = 0;
  int since_growth_ = 0;
  int cooldown_ = 0;
};

}  // namespace corrent::swarm
