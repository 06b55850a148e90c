// io::torrent_storage — a torrent's files on disk while it downloads: created inside the
// parts directory (<output>/.corrent-parts/<info-hash>/), written with pwrite at each
// piece's file spans (a piece may span many files), read back with pread, and moved to
// <output>/ when the download is complete. Thread-safe for concurrent reads and writes
// from the disk thread pool; file descriptors are opened lazily and cached.
//
// Descriptors come from the session's file_cache (one LRU and one cap for all torrents).
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
#include "io/storage/file_cache.hpp"

namespace corrent::io {

class torrent_storage {
 public:
  // `files`: where descriptors are cached (shared by the session's torrents); it must
  // outlive the storage. 2,000-file torrents reopen evicted files rarely: pieces are
  // written in order, so a file is done with before it is evicted.
  // `resume_file`: where the resume file is kept (empty: beside the parts directory).
  torrent_storage(const metainfo::info& t, std::filesystem::path output_dir, file_cache& files,
                  std::filesystem::path resume_file = {});
  ~torrent_storage();
  torrent_storage(const torrent_storage&) = delete;
  torrent_storage& operator=(const torrent_storage&) = delete;

  const std::filesystem::path& parts_dir() const { return parts_dir_; }
  const std::filesystem::path& output_dir() const { return output_dir_; }
  // The resume file: beside the parts directory (so no torrent file name can collide), or
  // where the constructor was told.
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
  // The file's descriptor from the cache, counted as in use until release_fd().
  result<int> fd_for(std::size_t file_index);
  // Done with it; `wrote`: it was written to (dirty until the next sync()).
  void release_fd(std::size_t file_index, bool wrote = false);
  // pwrite (write) or pread a range of the piece space across its file spans.
  result<void> transfer(std::int64_t offset, std::int64_t length, char* data, bool write);
  std::filesystem::path part_path(std::size_t file_index) const;

  const metainfo::info& torrent_;
  metainfo::file_layout layout_;
  std::filesystem::path output_dir_;
  std::filesystem::path parts_dir_;
  std::filesystem::path resume_file_;
  std::filesystem::path base_;  // where the files are now: parts_dir_, then output_dir_
  file_cache& cache_;
  file_cache::owner_id owner_;
  // One writer at a time: concurrent pwrites to one file contend on the kernel's inode
  // lock, and its adaptive spinning burned ~13% of the download's CPU (perf, w1).
  std::mutex write_mu_;
};

}  // namespace corrent::io
