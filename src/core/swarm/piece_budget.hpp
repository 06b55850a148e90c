// swarm::piece_budget — one memory budget for piece buffers, shared by every torrent of a
// session: pieces being downloaded ("open": each holds a buffer the size of a piece) and
// complete pieces waiting for their hash check and write ("pending"). A torrent opens no
// new piece while the budget is spent (the pieces already open still finish), and sends
// no request while pending pieces alone fill it, so the disk sets the pace and memory
// stays near the budget however many torrents and peers there are.
// Pure bookkeeping; the torrents' logic charges and releases it.
#pragma once

#include <algorithm>
#include <cstdint>

namespace corrent::swarm {

class piece_budget {
 public:
  static constexpr std::int64_t default_capacity = 24 << 20;

  explicit piece_budget(std::int64_t capacity = default_capacity) : capacity_(capacity) {}

  std::int64_t capacity() const { return capacity_; }
  // Huge pieces: room for a few open ones and one on the disk (never shrinks).
  void ensure_capacity(std::int64_t bytes) { capacity_ = std::max(capacity_, bytes); }

  std::int64_t open_bytes() const { return open_; }
  std::int64_t pending_bytes() const { return pending_; }
  // Bytes no piece holds.
  std::int64_t free_bytes() const { return std::max<std::int64_t>(0, capacity_ - open_ - pending_); }
  // Pending pieces alone fill it: no requests until the disk catches up.
  bool pending_full() const { return pending_ > capacity_; }

  void open(std::int64_t bytes) { open_ += bytes; }
  void close_open(std::int64_t bytes) { open_ -= bytes; }
  void to_pending(std::int64_t bytes) {
    open_ -= bytes;
    pending_ += bytes;
  }
  void done_pending(std::int64_t bytes) { pending_ -= bytes; }

 private:
  std::int64_t capacity_;
  std::int64_t open_ = 0;
  std::int64_t pending_ = 0;
};

}  // namespace corrent::swarm
