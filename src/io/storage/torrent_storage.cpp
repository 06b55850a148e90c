#include "io/storage/torrent_storage.hpp"

#include "io/storage/safe_path.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace corrent::io {
namespace fs = std::filesystem;

namespace {

error errno_error(int err, const fs::path& p) {
  return error{boost::system::error_code(err, boost::system::system_category()), p.string()};
}

}  // namespace

torrent_storage::torrent_storage(const metainfo::torrent& t, fs::path output_dir)
    : torrent_(t),
      layout_(t),
      output_dir_(std::move(output_dir)),
      parts_dir_(output_dir_ / ".corrent-parts" / t.info_hash_hex()),
      base_(parts_dir_),
      fds_(t.files.size(), -1),
      dirty_(t.files.size(), false) {}

torrent_storage::~torrent_storage() {
  for (int fd : fds_) {
    if (fd >= 0) ::close(fd);
  }
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
  for (int& fd : fds_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

void torrent_storage::use_final_location() {
  close_files();
  base_ = output_dir_;
}

result<void> torrent_storage::prepare() {
  const fs::path parts_rel = parts_dir_.lexically_relative(output_dir_);
  if (auto r = make_dirs_inside(output_dir_, parts_rel); !r) return r;
  for (std::size_t i = 0; i < torrent_.files.size(); ++i) {
    const auto& f = torrent_.files[i];
    if (f.pad || f.symlink) continue;
    const fs::path p = part_path(i);
    if (auto r = make_dirs_inside(parts_dir_, fs::path(f.path).parent_path()); !r) return r;
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return errno_error(errno, p);
    ::close(fd);
  }
  return {};
}

result<int> torrent_storage::fd_for(std::size_t i) {
  std::lock_guard lock(mu_);
  if (fds_[i] >= 0) return fds_[i];
  const fs::path p = part_path(i);
  const int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return errno_error(errno, p);
  fds_[i] = fd;
  return fd;
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
        return;
      }
      chunk += n;
      off += n;
      left -= n;
    }
    if (write) {
      std::lock_guard lock(mu_);
      dirty_[s.file_index] = true;
    }
  });
  return status;
}

result<void> torrent_storage::sync() {
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < fds_.size(); ++i) {
    if (fds_[i] >= 0 && dirty_[i]) {
      // Cleared first: a write that lands during the flush marks the file dirty again.
      dirty_[i] = false;
      if (::fdatasync(fds_[i]) != 0) {
        dirty_[i] = true;
        return errno_error(errno, part_path(i));
      }
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
  for (std::size_t i = 0; i < torrent_.files.size(); ++i) {
    const auto& f = torrent_.files[i];
    if (f.pad || f.symlink) continue;
    const fs::path from = part_path(i);
    const fs::path to = output_dir_ / f.path;
    // A symbolic link at the final path (or a parent) could point outside the output
    // directory; refuse to move over or through one.
    if (auto r = make_dirs_inside(output_dir_, fs::path(f.path).parent_path()); !r) return r;
    if (auto r = check_no_links(output_dir_, f.path); !r) return r;
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
