#include "io/daemon/state_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <boost/system/errc.hpp>
#include <cerrno>
#include <cstring>
#include <string>

#include "io/storage/whole_file.hpp"

namespace corrent::io {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t max_list_size = 256 << 20;
constexpr std::size_t max_metainfo_size = 64 << 20;

error sys_error(int err, std::string detail) {
  return error{boost::system::error_code(err, boost::system::generic_category()),
               std::move(detail)};
}

}  // namespace

state_store::~state_store() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

result<void> state_store::open() {
  for (const char* sub : {"torrents", "resume"}) {
    std::error_code ec;
    fs::create_directories(dir_ / sub, ec);
    if (ec) {
      return sys_error(ec.value(), "cannot create " + (dir_ / sub).string() + ": " + ec.message());
    }
  }
  const auto lock_path = dir_ / "lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    const int err = errno;
    return sys_error(err, "cannot open " + lock_path.string() + ": " + std::strerror(err));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char pid[32] = {};
    const auto n = ::pread(fd, pid, sizeof pid - 1, 0);
    ::close(fd);
    std::string who = n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : std::string();
    while (!who.empty() && (who.back() == '\n' || who.back() == ' ')) who.pop_back();
    if (err == EWOULDBLOCK) {
      return sys_error(err, "state directory " + dir_.string() +
                                " is in use by another corrent daemon" +
                                (who.empty() ? std::string() : " (pid " + who + ")"));
    }
    return sys_error(err, "cannot lock " + lock_path.string() + ": " + std::strerror(err));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int err = errno;
    ::close(fd);
    return sys_error(err, "cannot write " + lock_path.string() + ": " + std::strerror(err));
  }
  lock_fd_ = fd;
  // Temporaries of files being replaced when a daemon was killed (ours now: we hold the lock).
  for (const fs::path& d : {dir_, dir_ / "torrents", dir_ / "resume"}) {
    std::error_code ec;
    for (fs::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code ignored;
      if (it->path().filename().string().ends_with(".corrent-tmp") && it->is_regular_file(ignored))
        fs::remove(it->path(), ignored);
    }
  }
  return {};
}

result<daemon::saved_state> state_store::load() const {
  const auto path = dir_ / "torrents.benc";
  std::error_code ec;
  if (!fs::exists(path, ec)) return daemon::saved_state{};
  auto bytes = read_whole_file(path, max_list_size);
  if (!bytes) return error{bytes.error().code, path.string() + ": " + bytes.error().message()};
  auto list = daemon::decode_state(*bytes);
  if (!list) return error{list.error().code, path.string() + ": " + list.error().detail};
  return list;
}

result<void> state_store::save(const daemon::saved_state& state) const {
  return replace_file_atomically(dir_ / "torrents.benc", daemon::encode_state(state));
}

fs::path state_store::metainfo_path(const std::string& info_hash_hex) const {
  return dir_ / "torrents" / (info_hash_hex + ".torrent");
}

fs::path state_store::resume_file_path(const std::string& info_hash_hex) const {
  return dir_ / "resume" / (info_hash_hex + ".resume");
}

result<void> state_store::save_metainfo(const std::string& info_hash_hex,
                                        std::string_view bytes) const {
  return replace_file_atomically(metainfo_path(info_hash_hex), bytes);
}

result<std::string> state_store::load_metainfo(const std::string& info_hash_hex) const {
  return read_whole_file(metainfo_path(info_hash_hex), max_metainfo_size);
}

void state_store::remove_metainfo(const std::string& info_hash_hex) const {
  std::error_code ignored;
  fs::remove(metainfo_path(info_hash_hex), ignored);
}

}  // namespace corrent::io
