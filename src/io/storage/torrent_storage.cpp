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

torrent_storage::torrent_storage(const metainfo::info& t, fs::path output_dir, file_cache& files,
                                 fs::path resume_file)
    : torrent_(t),
      layout_(t),
      output_dir_(std::move(output_dir)),
      parts_dir_(output_dir_ / ".corrent-parts" / t.info_hash_hex()),
      resume_file_(std::move(resume_file)),
      base_(parts_dir_),
      cache_(files),
      owner_(files.add_owner()) {}

torrent_storage::~torrent_storage() {
  cache_.remove_owner(owner_);
}

fs::path torrent_storage::resume_path() const {
  if (!resume_file_.empty()) return resume_file_;
  fs::path p = parts_dir_;
  p += ".resume";
  return p;
}

fs::path torrent_storage::part_path(std::size_t i) const {
  return base_ / torrent_.files[i].path;
}

void torrent_storage::use_final_location() {
  cache_.close_owner_files(owner_);
  base_ = output_dir_;
}

result<void> torrent_storage::prepare() {
  const fs::path parts_rel = parts_dir_.lexically_relative(output_dir_);
  if (auto r = make_dirs_inside(output_dir_, parts_rel); !r) return r;
  {
    // Temporaries of our resume file left by a kill in the middle of writing one.
    const std::string prefix = resume_path().filename().string() + ".";
    std::error_code ec;
    for (fs::directory_iterator it(parts_dir_.parent_path(), ec), end; !ec && it != end;
         it.increment(ec)) {
      const std::string n = it->path().filename().string();
      if (n.starts_with(prefix) && n.ends_with(".corrent-tmp") && it->is_regular_file(ec)) {
        fs::remove(it->path(), ec);
      }
    }
  }
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
    if (f.length == 0 || i < 4) {
      auto fd = fd_for(i);
      if (!fd) return fd.error();
      release_fd(i);
    }
  }
  return {};
}

result<int> torrent_storage::fd_for(std::size_t i) {
  return cache_.acquire(owner_, i, base_, torrent_.files[i].path);
}

void torrent_storage::release_fd(std::size_t i, bool wrote) {
  cache_.release(owner_, i, wrote);
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
  auto set = cache_.begin_sync(owner_);
  if (set.closed_dirty || set.files.size() > 64) {
    // A file written and closed since the last sync, or many files: one syncfs(2) instead
    // of an fdatasync per file (each a journal commit on ext4).
    const int dir = ::open(base_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const int rc = dir < 0 ? -1 : ::syncfs(dir);
    const int err = errno;
    if (dir >= 0) ::close(dir);
    std::vector<std::size_t> failed;
    if (rc != 0) {
      for (const auto& [i, fd] : set.files) failed.push_back(i);
      set.closed_dirty = true;
    }
    cache_.end_sync(owner_, set, failed);
    if (rc != 0) return errno_error(err, base_);
    return {};
  }
  std::vector<std::size_t> failed;
  result<void> status;
  for (const auto& [i, fd] : set.files) {
    if (::fdatasync(fd) != 0) {
      if (status) status = errno_error(errno, part_path(i));
      failed.push_back(i);
    }
  }
  cache_.end_sync(owner_, set, failed);
  return status;
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
  cache_.close_owner_files(owner_);
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
