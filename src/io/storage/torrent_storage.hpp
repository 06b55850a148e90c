// io::torrent_storage — a torrent's files on disk while it downloads: created inside the
// parts directory (<output>/.corrent-parts/<info-hash>/), written with pwrite at each
// piece's file spans (a piece may span many files), read back with pread, and moved to
// <output>/ when the download is complete. Thread-safe for concurrent reads and writes
// from the disk thread pool; file descriptors are opened lazily and cached.
//
// Safety: every path is the torrent's checked relative path (metainfo/path_rules.hpp)
// under a directory corrent created; files are opened with O_NOFOLLOW so a symbolic
// link planted in the parts directory is never written through.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/metainfo/file_layout.hpp"
#include "core/metainfo/info.hpp"

namespace corrent::io {

class torrent_storage {
 public:
  // Cached descriptors (Debian's default soft limit is 1024 per process; a torrent may
  // have 100,000 files). 2,000-file torrents reopen evicted files rarely: pieces are
  // written in order, so a file is done with before it is evicted.
  static constexpr std::size_t max_open_files = 512;

  torrent_storage(const metainfo::info& t, std::filesystem::path output_dir);
  ~torrent_storage();

  const std::filesystem::path& parts_dir() const { return parts_dir_; }
  const std::filesystem::path& output_dir() const { return output_dir_; }
  // The resume file, beside the parts directory (so no torrent file name can collide).
  std::filesystem::path resume_path() const;

  // Creates the parts directory, its subdirectories and the zero-length files; the other
  // files are created by their first write.
  result<void> prepare();

  // Writes one whole piece (`data` is piece_size(piece) bytes). Pad-file spans are skipped.
  result<void> write_piece(std::int64_t piece, const char* data);
  // Reads one whole piece, or `length` bytes at `begin` of a piece (a block to upload);
  // pad spans read as zeros. Missing/short files are an error.
  result<void> read_piece(std::int64_t piece, char* data);
  result<void> read_block(std::int64_t piece, std::int64_t begin, std::int64_t length, char* data);
  // Serve and write the files at their final paths (<output>/<path>) from now on: for
  // seeding data that is already complete.
  void use_final_location();

  // Makes every write so far durable: fdatasync of each file written since the last sync,
  // or one syncfs when files were closed since or many are dirty.
  result<void> sync();
  // Moves files found at their final paths (<output>/<path>) into the parts directory,
  // to continue from data that is already there.
  result<void> adopt_final_files();
  // Closes files and moves each into <output>/<path>, then removes the parts directory
  // and the resume file.
  result<void> move_to_final();

 private:
  // The file's descriptor, opened (and created) on first use and counted as in use until
  // release_fd(): at most max_open_files are kept open, the least recently used idle one
  // is closed to make room (if it had unsynced writes, the next sync() is a syncfs).
  result<int> fd_for(std::size_t file_index);
  // Done with it; `wrote`: it was written to (dirty until the next sync()).
  void release_fd(std::size_t file_index, bool wrote = false);
  // pwrite (write) or pread a range of the piece space across its file spans.
  result<void> transfer(std::int64_t offset, std::int64_t length, char* data, bool write);
  void close_files();
  std::filesystem::path part_path(std::size_t file_index) const;

  const metainfo::info& torrent_;
  metainfo::file_layout layout_;
  std::filesystem::path output_dir_;
  std::filesystem::path parts_dir_;
  std::filesystem::path base_;  // where the files are now: parts_dir_, then output_dir_
  std::mutex mu_;
  // One writer at a time: concurrent pwrites to one file contend on the kernel's inode
  // lock, and its adaptive spinning burned ~13% of the download's CPU (perf, w1).
  std::mutex write_mu_;
  struct open_file {
    int fd = -1;
    int users = 0;  // transfers using fd now: never closed under them
    std::uint64_t last_use = 0;
    bool dirty = false;  // written since the last fdatasync
  };
  std::vector<open_file> files_;
  std::vector<std::size_t> open_;  // indices of files_ with fd >= 0
  std::uint64_t use_clock_ = 0;
  bool closed_dirty_ = false;  // a file closed with unsynced writes (sync() uses syncfs)
};

}  // namespace corrent::io
