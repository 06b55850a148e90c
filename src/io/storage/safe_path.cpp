#include "io/storage/safe_path.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <vector>

namespace corrent::io {
namespace fs = std::filesystem;

namespace {

error errno_error(int err, const fs::path& p) {
  std::string detail = p.string();
  if (err == ELOOP || err == EXDEV)
    detail += " is (or is reached through) a symbolic link: refusing to follow it";
  return error{boost::system::error_code(err, boost::system::system_category()), detail};
}

}  // namespace

namespace {

struct fd_closer {
  int fd = -1;
  ~fd_closer() {
    if (fd >= 0) ::close(fd);
  }
};

std::atomic<bool> no_openat2{false};  // the kernel (or a seccomp filter) refused it once

// openat(O_NOFOLLOW) one component at a time from `dir`, for kernels without openat2.
int open_walk(int dir, const fs::path& rel, int flags, unsigned mode) {
  std::vector<std::string> parts;
  for (const auto& p : rel) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      errno = EXDEV;
      return -1;
    }
    parts.push_back(p.string());
  }
  if (parts.empty()) {
    errno = EINVAL;
    return -1;
  }
  fd_closer cur{::dup(dir)};
  if (cur.fd < 0) return -1;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    const int next =
        ::openat(cur.fd, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) return -1;
    ::close(cur.fd);
    cur.fd = next;
  }
  return ::openat(cur.fd, parts.back().c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
}

}  // namespace

result<int> open_beneath(const fs::path& root, const fs::path& rel, int flags, unsigned mode) {
  fd_closer dir{::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd < 0) return errno_error(errno, root);
  int fd = -1;
  if (!no_openat2.load(std::memory_order_relaxed)) {
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
    fd = static_cast<int>(::syscall(SYS_openat2, dir.fd, rel.c_str(), &how, sizeof how));
    if (fd < 0 && (errno == ENOSYS || errno == EPERM)) no_openat2.store(true);
  }
  if (no_openat2.load(std::memory_order_relaxed) && fd < 0)
    fd = open_walk(dir.fd, rel, flags, mode);
  if (fd < 0) return errno_error(errno, root / rel);
  return fd;
}

result<void> make_dirs_inside(const fs::path& root, const fs::path& rel) {
  std::error_code ec;
  fs::create_directories(root, ec);  // the user's directory: may itself be a link
  if (ec)
    return error{boost::system::error_code(ec.value(), boost::system::system_category()),
                 root.string()};
  fs::path cur = root;
  for (const auto& part : rel) {
    if (part.empty() || part == ".") continue;
    cur /= part;
    struct stat st {};
    if (::lstat(cur.c_str(), &st) != 0) {
      if (errno != ENOENT) return errno_error(errno, cur);
      if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) return errno_error(errno, cur);
      if (::lstat(cur.c_str(), &st) != 0) return errno_error(errno, cur);
    }
    if (S_ISLNK(st.st_mode)) return errno_error(ELOOP, cur);
    if (!S_ISDIR(st.st_mode)) return errno_error(ENOTDIR, cur);
  }
  return {};
}

bool exists_without_links(const fs::path& root, const fs::path& rel) {
  fs::path cur = root;
  for (const auto& part : rel) {
    if (part.empty() || part == ".") continue;
    cur /= part;
    struct stat st {};
    if (::lstat(cur.c_str(), &st) != 0 || S_ISLNK(st.st_mode)) return false;
  }
  return true;
}

}  // namespace corrent::io
