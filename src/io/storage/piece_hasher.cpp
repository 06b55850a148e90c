#include "io/storage/piece_hasher.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "core/crypto/sha1.hpp"
#include "core/crypto/sha1_many.hpp"
#include "io/storage/safe_path.hpp"

namespace corrent::io {
namespace {

// One worker's open-file cache: reads are sequential, so the last file is kept open.
class file_reader {
 public:
  ~file_reader() { close(); }
  // Reads exactly n bytes at off of file `index`; false (and why) when it cannot.
  bool read(std::size_t index, const hash_source& src, std::int64_t off, char* dst, std::int64_t n,
            std::string& why) {
    if (src.zeros) {
      std::memset(dst, 0, static_cast<std::size_t>(n));
      return true;
    }
    if (index != index_) {
      close();
      if (!src.root.empty() && !src.follow_links) {
        auto opened = open_beneath(src.root, src.rel, O_RDONLY);
        if (!opened) {
          why = opened.error().message();
          return false;
        }
        fd_ = *opened;
      } else {
        fd_ = ::open(src.path.c_str(), O_RDONLY | O_CLOEXEC | (src.follow_links ? 0 : O_NOFOLLOW));
        if (fd_ < 0) {
          why = src.path.string() + ": " + std::strerror(errno);
          return false;
        }
      }
      ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
      index_ = index;
    }
    while (n > 0) {
      const ssize_t got = ::pread(fd_, dst, static_cast<std::size_t>(n), off);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        why = src.path.string() + (got == 0 ? ": file is shorter than the torrent says"
                                            : std::string(": ") + std::strerror(errno));
        return false;
      }
      dst += got;
      off += got;
      n -= got;
    }
    return true;
  }

 private:
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    index_ = static_cast<std::size_t>(-1);
  }
  int fd_ = -1;
  std::size_t index_ = static_cast<std::size_t>(-1);
};

}  // namespace

hash_result hash_pieces(const std::vector<hash_source>& files, std::int64_t piece_length,
                        unsigned threads, hash_progress* progress,
                        const std::function<void()>& tick, const std::vector<bool>* only) {
  std::vector<std::int64_t> starts;
  std::int64_t total = 0;
  for (const auto& f : files) {
    starts.push_back(total);
    total += f.length;
  }
  const std::int64_t num_pieces = total == 0 ? 0 : (total + piece_length - 1) / piece_length;
  hash_result out;
  out.digests.assign(static_cast<std::size_t>(num_pieces) * 20, '\0');
  out.readable.assign(static_cast<std::size_t>(num_pieces), true);
  if (num_pieces == 0) return out;

  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::int64_t>(threads, num_pieces));
  // Pieces hashed together (crypto::sha1_many): 16 where the CPU has the 16-lane path
  // and 16 pieces fit in 16 MiB per worker, else one at a time. Workers claim about
  // 4 MiB of consecutive pieces (at least one group) at a time.
  const auto lanes = static_cast<std::int64_t>(crypto::sha1_batch_size(piece_length, 16 << 20));
  const std::int64_t batch = std::max<std::int64_t>(lanes, (4 << 20) / piece_length);

  std::atomic<std::int64_t> next{0};
  std::mutex mu;
  std::condition_variable cv;
  unsigned running = threads;
  std::vector<bool> readable(static_cast<std::size_t>(num_pieces), true);

  auto worker = [&] {
    std::vector<char> buf(static_cast<std::size_t>(piece_length * lanes));
    file_reader reader;
    std::string why;
    std::vector<std::int64_t> pieces;  // read into buf, in slot order
    std::vector<std::string_view> views;
    std::vector<crypto::sha1_digest> digests;
    auto hash_group = [&] {
      digests.resize(views.size());
      crypto::sha1_many(views, digests);
      for (std::size_t k = 0; k < pieces.size(); ++k) {
        std::memcpy(out.digests.data() + pieces[k] * 20, digests[k].data(), 20);
        if (progress) {
          progress->pieces_done.fetch_add(1, std::memory_order_relaxed);
          progress->bytes_done.fetch_add(static_cast<std::int64_t>(views[k].size()),
                                         std::memory_order_relaxed);
        }
      }
      pieces.clear();
      views.clear();
    };
    while (true) {
      const std::int64_t first = next.fetch_add(batch);
      if (first >= num_pieces) break;
      const std::int64_t last = std::min(num_pieces, first + batch);
      for (std::int64_t p = first; p < last; ++p) {
        if (only && !(*only)[static_cast<std::size_t>(p)]) continue;
        const std::int64_t begin = p * piece_length;
        const std::int64_t len = std::min(piece_length, total - begin);
        // Walk the files that cover [begin, begin + len).
        auto it = std::upper_bound(starts.begin(), starts.end(), begin);
        std::size_t i = static_cast<std::size_t>(it - starts.begin()) - 1;
        std::int64_t off = begin, left = len;
        bool ok = true;
        char* const slot = buf.data() + static_cast<std::int64_t>(pieces.size()) * piece_length;
        char* dst = slot;
        for (; left > 0 && i < files.size(); ++i) {
          const std::int64_t in_file = off - starts[i];
          const std::int64_t n = std::min(left, files[i].length - in_file);
          if (n <= 0) continue;
          if (ok && !reader.read(i, files[i], in_file, dst, n, why)) ok = false;
          dst += n;
          off += n;
          left -= n;
        }
        if (ok) {
          pieces.push_back(p);
          views.emplace_back(slot, static_cast<std::size_t>(len));
          if (static_cast<std::int64_t>(pieces.size()) == lanes) hash_group();
        } else {
          std::lock_guard lock(mu);
          readable[static_cast<std::size_t>(p)] = false;
          if (out.first_problem.empty()) out.first_problem = why;
        }
        if (!ok && progress) {
          progress->pieces_done.fetch_add(1, std::memory_order_relaxed);
          progress->bytes_done.fetch_add(len, std::memory_order_relaxed);
        }
      }
      hash_group();
    }
    std::lock_guard lock(mu);
    if (--running == 0) cv.notify_all();
  };

  boost::asio::thread_pool pool(threads);
  for (unsigned t = 0; t < threads; ++t) boost::asio::post(pool, worker);
  {
    std::unique_lock lock(mu);
    while (running > 0) {
      cv.wait_for(lock, std::chrono::milliseconds(200));
      if (tick && running > 0) {
        lock.unlock();
        tick();
        lock.lock();
      }
    }
  }
  pool.join();
  out.readable = std::move(readable);
  return out;
}

}  // namespace corrent::io
