#include "core/resume/flush_ledger.hpp"

namespace corrent::resume {

void flush_ledger::fit(std::size_t n) {
  if (synced_.size() != n) synced_ = swarm::bitfield(n);
  if (unsafe_.size() != n) unsafe_ = swarm::bitfield(n);
}

void flush_ledger::reset(const swarm::bitfield& on_disk) {
  synced_ = on_disk;
  unsafe_ = swarm::bitfield(on_disk.size());
}

void flush_ledger::flush_succeeded(const swarm::bitfield& written) {
  fit(written.size());
  for (std::size_t i = 0; i < written.size(); ++i) {
    if (written.test(i)) synced_.set(i);
  }
}

std::size_t flush_ledger::flush_failed(const swarm::bitfield& written) {
  fit(written.size());
  std::size_t added = 0;
  for (std::size_t i = 0; i < written.size(); ++i) {
    if (written.test(i) && !synced_.test(i) && !unsafe_.test(i)) {
      unsafe_.set(i);
      ++added;
    }
  }
  return added;
}

swarm::bitfield flush_ledger::vouchable(swarm::bitfield have) const {
  if (unsafe_.none() || unsafe_.size() != have.size()) return have;
  for (std::size_t i = 0; i < have.size(); ++i) {
    if (unsafe_.test(i)) have.reset(i);
  }
  return have;
}

}  // namespace corrent::resume
