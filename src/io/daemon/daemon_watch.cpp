// The daemon's watch directory: .torrent files dropped there are added once they stop
// changing (then renamed .added); one that still does not parse is moved aside (.invalid).
#include <spdlog/spdlog.h>

#include "core/text/printable.hpp"
#include "io/daemon/api_json.hpp"
#include "io/daemon/daemon_api.hpp"
#include "io/storage/whole_file.hpp"

namespace corrent::io {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t max_watch_files = 1000;  // looked at per scan
constexpr int invalid_after_scans = 5;         // 10 s unchanged and still not a torrent

}  // namespace

// --- the watch directory ----------------------------------------------------------------

void daemon_api::set_watch_dir(fs::path dir) {
  watch_dir_ = std::move(dir);
}

void daemon_api::scan_watch_dir() {
  if (watch_dir_.empty()) return;
  std::error_code ec;
  fs::directory_iterator it(watch_dir_, ec), end;
  if (ec) {
    if (!watch_failed_) spdlog::error("watch directory {}: {}", watch_dir_.string(), ec.message());
    watch_failed_ = true;
    return;
  }
  watch_failed_ = false;
  std::map<std::string, watched_file> now_seen;
  std::size_t looked = 0;
  for (; it != end && looked < max_watch_files; it.increment(ec)) {
    if (ec) break;
    const auto& path = it->path();
    const std::string name = path.filename().string();
    if (name.empty() || name.front() == '.' || path.extension() != ".torrent") continue;
    std::error_code fec;
    if (!it->is_regular_file(fec) || fec) continue;
    ++looked;
    const auto size = it->file_size(fec);
    const auto mtime = it->last_write_time(fec);
    if (fec) continue;
    const auto key = path.string();
    const auto before = watch_seen_.find(key);
    // Added only once it stayed the same between two scans: a file still being written
    // (slowly, by another program) is left alone until it is finished. One that does not
    // parse may be a writer that paused: it is moved aside only once it has not changed
    // for `invalid_after_scans` scans.
    if (before == watch_seen_.end() || before->second.size != size ||
        before->second.mtime != mtime) {
      now_seen[key] = {size, mtime, 0};
      continue;
    }
    const int stable = before->second.stable_scans + 1;
    std::string suffix = ".invalid";
    if (size <= max_torrent_bytes) {
      auto bytes = read_whole_file(path, max_torrent_bytes);
      const auto r = bytes ? add_payload("torrent", *bytes, {}, false)
                           : json_error(400, bytes.error().message());
      if (r.status != 201 && r.status != 409 && stable < invalid_after_scans) {
        now_seen[key] = {size, mtime, stable};
        continue;
      }
      if (r.status == 201 || r.status == 409) {
        suffix = ".added";
        spdlog::info("watch directory: {} {}", text::printable(name),
                     r.status == 201 ? "added" : "is already there");
      } else {
        spdlog::error("watch directory: {}: {} (moved aside as {}{})", text::printable(name),
                      r.body, text::printable(name), suffix);
      }
    } else {
      spdlog::error("watch directory: {}: larger than {} bytes (moved aside as {}.invalid)",
                    text::printable(name), max_torrent_bytes, text::printable(name));
    }
    std::error_code rec;
    fs::rename(path, fs::path(key + suffix), rec);
    if (rec) spdlog::error("watch directory: cannot rename {}: {}", key, rec.message());
  }
  watch_seen_ = std::move(now_seen);
}

}  // namespace corrent::io
