// io::disk_io — the session's disk service, shared by every torrent: one thread pool for
// reads, writes and hashing (never the network thread), one cache of open files
// (file_cache), one budget for piece buffers (swarm::piece_budget) and the spare piece
// buffers it allows, one pool of upload buffers. Work posted to the pool must keep alive what it
// touches (a shared_ptr to its torrent) and post its result back to the io_context; the session
// joins the pool after every torrent has stopped.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "core/swarm/piece_budget.hpp"
#include "io/storage/buffer_pool.hpp"
#include "io/storage/file_cache.hpp"

namespace corrent::io {

// Piece buffers kept for reuse after their piece was written (fresh pages cost page faults
// on every piece: freeing the ones past the budget's free room cost w2 5,000 more faults
// and 3 % more CPU), shared by the session's torrents. A buffer is allocated only when no
// spare of its size is left, so the buffers allocated never exceed the most that were in
// use at once, which the piece budget bounds; spares past the budget's capacity (a torrent
// of another piece size came and went) are freed. Used on the io_context's thread only.
class piece_buffer_pool {
 public:
  explicit piece_buffer_pool(const swarm::piece_budget& budget) : budget_(budget) {}

  std::unique_ptr<char[]> get(std::size_t size) {
    auto it = spares_.find(size);
    if (it == spares_.end() || it->second.empty()) return std::make_unique<char[]>(size);
    auto buf = std::move(it->second.back());
    it->second.pop_back();
    spare_bytes_ -= static_cast<std::int64_t>(size);
    return buf;
  }
  void put(std::unique_ptr<char[]> buf, std::size_t size) {
    const auto n = static_cast<std::int64_t>(size);
    if (spare_bytes_ + n > budget_.capacity()) return;  // freed
    spares_[size].push_back(std::move(buf));
    spare_bytes_ += n;
  }
  std::int64_t spare_bytes() const { return spare_bytes_; }

 private:
  const swarm::piece_budget& budget_;
  std::map<std::size_t, std::vector<std::unique_ptr<char[]>>> spares_;
  std::int64_t spare_bytes_ = 0;
};

class disk_io {
 public:
  explicit disk_io(std::size_t threads = 2) : pool_(threads) {}
  ~disk_io() { pool_.join(); }
  disk_io(const disk_io&) = delete;
  disk_io& operator=(const disk_io&) = delete;

  boost::asio::thread_pool& pool() { return pool_; }
  file_cache& files() { return files_; }
  swarm::piece_budget& budget() { return budget_; }
  piece_buffer_pool& piece_buffers() { return piece_buffers_; }
  const std::shared_ptr<buffer_pool>& read_buffers() const { return read_buffers_; }

  // Runs `work` on the pool and resumes the awaiting coroutine on its own executor with
  // the result. `work` must own (or keep alive) everything it touches.
  // Pass a named std::function (std::move it), never a lambda written inside the co_await
  // expression: g++ 12 destroys such a closure temporary twice.
  template <class R>
  boost::asio::awaitable<R> run(std::function<R()> work) {
    queued_.fetch_add(1, std::memory_order_relaxed);
    co_return co_await boost::asio::co_spawn(
        pool_.get_executor(), on_pool<R>(std::move(work), queued_), boost::asio::use_awaitable);
  }
  // Runs `work` on the pool, counted in queued().
  template <class F>
  void post(F&& work) {
    queued_.fetch_add(1, std::memory_order_relaxed);
    boost::asio::post(pool_, [this, w = std::forward<F>(work)]() mutable {
      w();
      queued_.fetch_sub(1, std::memory_order_relaxed);
    });
  }
  // Jobs posted to the pool and not finished (waiting or running): the disk queue.
  std::int64_t queued() const { return queued_.load(std::memory_order_relaxed); }

 private:
  template <class R>
  static boost::asio::awaitable<R> on_pool(std::function<R()> work,
                                           std::atomic<std::int64_t>& queued) {
    struct done {
      std::atomic<std::int64_t>& n;
      ~done() { n.fetch_sub(1, std::memory_order_relaxed); }
    } guard{queued};
    co_return work();
  }

  std::atomic<std::int64_t> queued_{0};

  boost::asio::thread_pool pool_;
  file_cache files_;
  swarm::piece_budget budget_;
  piece_buffer_pool piece_buffers_{budget_};
  std::shared_ptr<buffer_pool> read_buffers_ = buffer_pool::create(64);
};

}  // namespace corrent::io
