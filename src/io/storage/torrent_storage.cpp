#include "io/storage/torrent_storage.hpp"

#include "io/storage/safe_path.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_set>

namespace corrent::io {
namespace fs = std::filesystem;

namespace {

error errno_error(int err, const fs::path& p) {
  return error{boost::system::error_code(err, boost::system::system_category()), p.string()};
}

}  // namespace

torrent_storage::torrent_storage(const metainfo::info& t, fs::path output_dir)
    : torrent_(t),
      layout_(t),
      output_dir_(std::move(output_dir)),
      parts_dir_(output_dir_ / ".corrent-parts" / t.info_hash_hex()),
      base_(parts_dir_),
      files_(t.files.size()) {}

torrent_storage::~torrent_storage() {
  for (const auto i : open_) ::close(files_[i].fd);
}

fs::path torrent_storage::resume_path() const {
  fs::path p = parts_dir_;
  p += ".resume";
  return p;
}

fs::path torrent_storage::part_path(std::size_t i) const {
  return base_ / torrent_.files[i].path;
}

void torrent_storage::close_files() {
  std::lock_guard lock(mu_);
  for (const auto i : open_) {
    ::close(files_[i].fd);
    files_[i].fd = -1;
  }
  open_.clear();
}

void torrent_storage::use_final_location() {
  close_files();
  base_ = output_dir_;
}

result<void> torrent_storage::prepare() {
  const fs::path parts_rel = parts_dir_.lexically_relative(output_dir_);
  if (auto r = make_dirs_inside(output_dir_, parts_rel); !r) return r;
  std::unordered_set<std::string> made;  // directories made and checked
  for (std::size_t i = 0; i < torrent_.files.size(); ++i) {
    const auto& f = torrent_.files[i];
    if (f.pad || f.symlink) continue;
    const fs::path dir = fs::path(f.path).parent_path();
    if (made.insert(dir.native()).second) {
      if (auto r = make_dirs_inside(parts_dir_, dir); !r) return r;
    }
    // A file with bytes is created by its first write (fd_for), so each is opened once;
    // an empty one has none and is created now. The first few are opened here anyway,
    // so that a directory we cannot write to fails now, not at the first piece.
    if (f.length == 0 || open_.size() < 4) {
      auto fd = fd_for(i);
      if (!fd) return fd.error();
      release_fd(i);
    }
  }
  return {};
}

result<int> torrent_storage::fd_for(std::size_t i) {
  std::lock_guard lock(mu_);
  auto& f = files_[i];
  f.last_use = ++use_clock_;
  if (f.fd >= 0) {
    ++f.users;
    return f.fd;
  }
  if (open_.size() >= max_open_files) {
    // Close the least recently used idle file (a linear scan: only when the cache is full).
    std::size_t victim = open_.size();
    for (std::size_t k = 0; k < open_.size(); ++k) {
      const auto& o = files_[open_[k]];
      if (o.users == 0 && (victim == open_.size() || o.last_use < files_[open_[victim]].last_use))
        victim = k;
    }
    if (victim < open_.size()) {
      auto& o = files_[open_[victim]];
      if (o.dirty) closed_dirty_ = true;  // the next sync() flushes the whole file system
      ::close(o.fd);
      o.fd = -1;
      o.dirty = false;
      open_[victim] = open_.back();
      open_.pop_back();
    }
  }
  const fs::path p = part_path(i);
  const int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return errno_error(errno, p);
  f.fd = fd;
  f.users = 1;
  open_.push_back(i);
  return fd;
}

void torrent_storage::release_fd(std::size_t i, bool wrote) {
  std::lock_guard lock(mu_);
  --files_[i].users;
  if (wrote) files_[i].dirty = true;
}

result<void> torrent_storage::write_piece(std::int64_t piece, const char* data) {
  std::lock_guard serial(write_mu_);
  // transfer() only reads from `data` when writing.
  return transfer(piece * torrent_.piece_length, torrent_.piece_size(piece),
                  const_cast<char*>(data), true);
}

result<void> torrent_storage::read_piece(std::int64_t piece, char* data) {
  return transfer(piece * torrent_.piece_length, torrent_.piece_size(piece), data, false);
}

result<void> torrent_storage::read_block(std::int64_t piece, std::int64_t begin,
                                         std::int64_t length, char* data) {
  return transfer(piece * torrent_.piece_length + begin, length, data, false);
}

result<void> torrent_storage::transfer(std::int64_t offset, std::int64_t length, char* data,
                                       bool write) {
  result<void> status;
  char* cursor = data;
  layout_.for_each_span(offset, length, [&](const metainfo::file_span& s) {
    char* chunk = cursor;
    cursor += s.length;
    if (!status) return;
    if (torrent_.files[s.file_index].pad) {  // never on disk: skipped, or read as zeros
      if (!write) std::memset(chunk, 0, static_cast<std::size_t>(s.length));
      return;
    }
    auto fd = fd_for(s.file_index);
    if (!fd) {
      status = fd.error();
      return;
    }
    std::int64_t off = s.file_offset, left = s.length;
    while (left > 0) {
      const auto len = static_cast<std::size_t>(left);
      const ssize_t n = write ? ::pwrite(*fd, chunk, len, off) : ::pread(*fd, chunk, len, off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        status = errno_error(n < 0 ? errno : (write ? EIO : ENODATA), part_path(s.file_index));
        break;
      }
      chunk += n;
      off += n;
      left -= n;
    }
    release_fd(s.file_index, write && status);
  });
  return status;
}

result<void> torrent_storage::sync() {
  std::lock_guard lock(mu_);
  std::size_t dirty = 0;
  for (const auto i : open_) dirty += files_[i].dirty ? 1 : 0;
  if (closed_dirty_ || dirty > 64) {
    // A file written and closed since the last sync, or many files: one syncfs(2) instead
    // of an fdatasync per file (each a journal commit on ext4).
    const int dir = ::open(parts_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return errno_error(errno, parts_dir_);
    const int rc = ::syncfs(dir);
    const int err = errno;
    ::close(dir);
    if (rc != 0) return errno_error(err, parts_dir_);
    closed_dirty_ = false;
    for (const auto i : open_) files_[i].dirty = false;
    return {};
  }
  for (const auto i : open_) {
    auto& f = files_[i];
    if (!f.dirty) continue;
    // Cleared first: a write that lands during the flush marks the file dirty again.
    f.dirty = false;
    if (::fdatasync(f.fd) != 0) {
      f.dirty = true;
      return errno_error(errno, part_path(i));
    }
  }
  return {};
}

result<void> torrent_storage::adopt_final_files() {
  std::error_code ec;
  for (std::size_t i = 0; i < torrent_.files.size(); ++i) {
    const auto& f = torrent_.files[i];
    if (f.pad || f.symlink) continue;
    const fs::path from = output_dir_ / f.path;
    const auto st = fs::symlink_status(from, ec);
    if (ec || !fs::is_regular_file(st)) continue;              // missing, or a link we never follow
    if (!exists_without_links(output_dir_, f.path)) continue;  // reached through a link
    const fs::path to = part_path(i);
    if (auto r = make_dirs_inside(parts_dir_, fs::path(f.path).parent_path()); !r) return r;
    if (::rename(from.c_str(), to.c_str()) != 0) return errno_error(errno, from);
  }
  return {};
}

result<void> torrent_storage::move_to_final() {
  close_files();
  std::error_code ec;
  std::unordered_set<std::string> made;  // directories made and checked
  for (std::size_t i = 0; i < torrent_.files.size(); ++i) {
    const auto& f = torrent_.files[i];
    if (f.pad || f.symlink) continue;
    const fs::path from = part_path(i);
    const fs::path to = output_dir_ / f.path;
    // A symbolic link at the final path (or a parent) could point outside the output
    // directory; refuse to move over or through one. make_dirs_inside checks the parents.
    const fs::path dir = fs::path(f.path).parent_path();
    if (made.insert(dir.native()).second) {
      if (auto r = make_dirs_inside(output_dir_, dir); !r) return r;
    }
    struct stat st {};
    if (::lstat(to.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      return error{boost::system::error_code(ELOOP, boost::system::system_category()),
                   to.string() + " is a symbolic link: refusing to follow it"};
    }
    if (::rename(from.c_str(), to.c_str()) != 0) return errno_error(errno, to);
  }
  base_ = output_dir_;
  fs::remove_all(parts_dir_, ec);
  fs::remove(resume_path(), ec);
  const fs::path root = output_dir_ / ".corrent-parts";
  if (fs::is_empty(root, ec)) fs::remove(root, ec);
  return {};
}

}  // namespace corrent::io
