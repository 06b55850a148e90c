// io::file_cache — the open file descriptors of every torrent in a session, in one LRU
// with one cap: Debian's default limit is 1,024 descriptors per process, and a session
// may hold thousands of torrents or one with 100,000 files. A file is opened (and
// created) on first use and kept; when the cap is reached the least recently used idle
// descriptor of any torrent is closed. A descriptor in use (a read or write on it now)
// is never closed under its user. Thread-safe: the disk pool's threads share it.
//
// Each torrent's storage is an owner. The cache remembers, per owner, whether a file
// written since the owner's last sync was closed (its data then needs a syncfs).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace corrent::io {

class file_cache {
 public:
  static constexpr std::size_t default_max_open = 512;
  using owner_id = std::uint64_t;

  explicit file_cache(std::size_t max_open = default_max_open) : max_open_(max_open) {}
  ~file_cache();
  file_cache(const file_cache&) = delete;
  file_cache& operator=(const file_cache&) = delete;

  owner_id add_owner();
  // Closes the owner's descriptors (none may be in use) and forgets it.
  void remove_owner(owner_id owner);

  // The descriptor of the owner's file `file` at root/rel (opened read-write, created if
  // missing, never through a symbolic link below root: io::open_beneath), counted as in
  // use until release().
  result<int> acquire(owner_id owner, std::size_t file, const std::filesystem::path& root,
                      const std::filesystem::path& rel);
  // Done with it; `wrote`: it was written to (dirty until the owner's next sync).
  void release(owner_id owner, std::size_t file, bool wrote = false);
  // Closes the owner's idle descriptors (before its files are moved).
  void close_owner_files(owner_id owner);

  // What a sync of the owner must flush: its dirty open files (held in use and marked
  // clean until end_sync), and whether a dirty file was closed since the last sync.
  struct sync_set {
    std::vector<std::pair<std::size_t, int>> files;  // (file index, fd)
    bool closed_dirty = false;
  };
  sync_set begin_sync(owner_id owner);
  // `failed`: files whose flush failed (dirty again).
  void end_sync(owner_id owner, const sync_set& s, const std::vector<std::size_t>& failed);

  std::size_t open_count() const;
  std::size_t max_open() const { return max_open_; }

 private:
  struct entry {
    int fd = -1;
    int users = 0;
    std::uint64_t last_use = 0;
    bool dirty = false;
  };
  struct owner_state {
    std::map<std::size_t, entry> open;  // by file index
    bool closed_dirty = false;
  };
  void evict_one();  // caller holds mu_

  mutable std::mutex mu_;
  std::size_t max_open_;
  std::size_t open_ = 0;
  std::uint64_t clock_ = 0;
  owner_id next_owner_ = 1;
  std::map<owner_id, owner_state> owners_;
};

}  // namespace corrent::io
