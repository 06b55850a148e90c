// resume::flush_ledger — which written pieces a resume file may vouch for.
//
// A piece is only vouched for once a flush (fdatasync) that began after its write ended
// has succeeded. Linux reports a lost writeback once: after a failed flush a later one
// succeeds while the data it lost is gone. So a failed flush makes every piece whose data
// may have been in the page cache while it ran *unsafe* for the rest of the run: each
// piece written before the failure was seen, and each piece whose write was still under
// way then (writes run beside the flush on the disk pool: torrent_logic::have_or_at_disk
// gives both). No resume state vouches for an unsafe piece again; the next start
// re-hashes it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/swarm/bitfield.hpp"

namespace corrent::resume {

class flush_ledger {
 public:
  // After a check: `on_disk` was read back from disk (or vouched for by a resume file
  // written after a good flush).
  void reset(const swarm::bitfield& on_disk);

  // A flush that began when `written` (the pieces whose writes had ended) was current
  // succeeded: those pieces are on stable storage.
  void flush_succeeded(const swarm::bitfield& written);
  // A flush failed; `written` is every piece written or being written when the failure is
  // seen. Returns how many pieces became unsafe.
  std::size_t flush_failed(const swarm::bitfield& written);

  // `have` less the unsafe pieces: what a resume file may record.
  swarm::bitfield vouchable(swarm::bitfield have) const;
  std::size_t unsafe_count() const { return unsafe_.count(); }

 private:
  void fit(std::size_t n);
  swarm::bitfield synced_;
  swarm::bitfield unsafe_;
};

}  // namespace corrent::resume
