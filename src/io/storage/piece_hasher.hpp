// io::hash_pieces — SHA-1 of every piece of a file list read from disk, on all cores.
// Workers of an asio::thread_pool claim runs of consecutive pieces (so reads stay
// sequential per worker), pread them across file boundaries and hash them. Used by
// `corrent create` and, later, by recheck and `corrent verify`.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace corrent::io {

struct hash_source {
  std::filesystem::path path;  // ignored when zeros is set
  std::int64_t length = 0;
  bool zeros = false;  // BEP 47 pad file: its bytes are zeros and never on disk
  // Opened with O_NOFOLLOW unless set: a torrent's files (verify, recheck) are never read
  // through a link planted at their name; `create` reads what the user pointed it at.
  bool follow_links = false;
  // When set, `path` is root/rel and the file is opened with io::open_beneath(root, rel):
  // no link anywhere below root is followed.
  std::filesystem::path root;
  std::filesystem::path rel;
};

struct hash_progress {
  std::atomic<std::int64_t> pieces_done{0};
  std::atomic<std::int64_t> bytes_done{0};
};

struct hash_result {
  std::string digests;         // 20 bytes per piece (zeros where unreadable)
  std::vector<bool> readable;  // false: a file was missing or too short for the piece
  std::string first_problem;   // the first read problem, for the message
};

// Hashes the pieces of the concatenation of `files` — all of them, or those set in
// `only` — on `threads` workers (0: all cores). `tick` (optional) is called about every
// 200 ms on the calling thread while the workers run. Skipped pieces are left zeroed.
hash_result hash_pieces(const std::vector<hash_source>& files, std::int64_t piece_length,
                        unsigned threads, hash_progress* progress,
                        const std::function<void()>& tick = {},
                        const std::vector<bool>* only = nullptr);

}  // namespace corrent::io
