#include "io/storage/whole_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <random>

#include <fmt/format.h>

namespace corrent::io {
namespace {

error errno_error(int err, const std::filesystem::path& p) {
  return error{boost::system::error_code(err, boost::system::system_category()), p.string()};
}

struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

result<std::string> read_whole_file(const std::filesystem::path& path, std::size_t max_size) {
  fd_guard f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) return errno_error(errno, path);
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return errno_error(errno, path);
  if (S_ISDIR(st.st_mode)) return errno_error(EISDIR, path);
  if (static_cast<std::size_t>(st.st_size) > max_size) return errno_error(EFBIG, path);
  std::string data;
  data.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (true) {
    if (got == data.size()) {
      // The file may have grown (or be a pipe-like file with st_size 0): keep reading.
      if (data.size() >= max_size) {
        char probe;
        const ssize_t n = ::read(f.fd, &probe, 1);
        if (n > 0) return errno_error(EFBIG, path);
        break;
      }
      data.resize(std::min(max_size, std::max<std::size_t>(4096, data.size() * 2)));
    }
    const ssize_t n = ::read(f.fd, data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error(errno, path);
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  data.resize(got);
  return data;
}

result<void> create_empty_file(const std::filesystem::path& path) {
  // O_EXCL: never truncate what is there; O_NOFOLLOW (and O_EXCL's own refusal of links):
  // never create through a link planted at that name.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return errno_error(errno, path);
  ::close(fd);
  return {};
}

result<void> replace_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  // A temporary name of our own, created exclusively: a fixed `NAME.tmp` could be a file of
  // the torrent itself (truncated, then renamed away) or a link planted to be written through.
  std::filesystem::path tmp;
  int fd = -1;
  std::random_device rd;
  for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
    tmp = path;
    tmp += fmt::format(".{:08x}.corrent-tmp", rd());
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) return errno_error(errno, tmp);
  }
  if (fd < 0) return errno_error(EEXIST, tmp);
  {
    fd_guard f{fd};
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(f.fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return errno_error(err, tmp);
      }
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(f.fd) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      return errno_error(err, tmp);
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return errno_error(err, path);
  }
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  fd_guard d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd >= 0) ::fsync(d.fd);
  return {};
}

}  // namespace corrent::io
