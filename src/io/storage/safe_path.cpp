#include "io/storage/safe_path.hpp"

#include <sys/stat.h>

#include <cerrno>

namespace corrent::io {
namespace fs = std::filesystem;

namespace {

error errno_error(int err, const fs::path& p) {
  std::string detail = p.string();
  if (err == ELOOP) detail += " is a symbolic link: refusing to follow it";
  return error{boost::system::error_code(err, boost::system::system_category()), detail};
}

}  // namespace

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
