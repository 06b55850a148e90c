// io::buffer_pool — reusable byte buffers for blocks read from disk to be sent.
//
// A buffer handed out is shared (the disk task fills it, the peer's writer sends it); when
// the last owner lets go it returns to the pool instead of being freed, so the steady
// state allocates nothing and touches no fresh pages. Thread-safe: buffers are filled on
// the disk pool and released on the event loop. The pool outlives its buffers (each
// holds a reference to it). Contents are not zeroed.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

namespace corrent::io {

struct pooled_buffer {
  std::unique_ptr<char[]> data;
  std::size_t capacity = 0;
  std::size_t size = 0;  // bytes in use
  std::string_view view() const { return {data.get(), size}; }
};

class buffer_pool : public std::enable_shared_from_this<buffer_pool> {
 public:
  static std::shared_ptr<buffer_pool> create(std::size_t max_kept) {
    return std::shared_ptr<buffer_pool>(new buffer_pool(max_kept));
  }

  // A buffer of at least `capacity` bytes, size 0.
  std::shared_ptr<pooled_buffer> get(std::size_t capacity) {
    std::unique_ptr<pooled_buffer> b;
    {
      std::lock_guard lock(mutex_);
      for (auto it = free_.begin(); it != free_.end(); ++it) {
        if ((*it)->capacity >= capacity) {
          b = std::move(*it);
          free_.erase(it);
          break;
        }
      }
    }
    if (!b) {
      b = std::make_unique<pooled_buffer>();
      b->data.reset(new char[capacity]);  // not value-initialized: no zeroing
      b->capacity = capacity;
    }
    b->size = 0;
    return std::shared_ptr<pooled_buffer>(b.release(),
                                          [pool = shared_from_this()](pooled_buffer* p) {
                                            pool->put(std::unique_ptr<pooled_buffer>(p));
                                          });
  }

  std::size_t kept() const {
    std::lock_guard lock(mutex_);
    return free_.size();
  }

 private:
  explicit buffer_pool(std::size_t max_kept) : max_kept_(max_kept) {}
  void put(std::unique_ptr<pooled_buffer> b) {
    std::lock_guard lock(mutex_);
    if (free_.size() < max_kept_) free_.push_back(std::move(b));
  }

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<pooled_buffer>> free_;
  std::size_t max_kept_;
};

}  // namespace corrent::io
