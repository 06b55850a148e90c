// transmission_rpc: the session calls (session-get, -set, -stats, free-space).
#include "io/daemon/transmission_rpc.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include <boost/json.hpp>
#include <cmath>
#include <unordered_map>

#include "core/crypto/sha1.hpp"
#include "core/daemon/api_rules.hpp"
#include "core/metainfo/magnet.hpp"
#include "core/metainfo/parse.hpp"
#include "core/swarm/file_progress.hpp"
#include "core/text/base64.hpp"
#include "core/text/percent.hpp"
#include "io/daemon/api_json.hpp"
#include "io/daemon/daemon_api.hpp"
#include "io/daemon/transmission_util.hpp"
#include "io/torrent/torrent.hpp"

namespace corrent::io {
namespace json = boost::json;
using namespace trpc_detail;

// --- session ---------------------------------------------------------------------------------

outcome transmission_rpc::session_get(const json::object& args) {
  auto& s = api_.sess();
  const auto& st = api_.saved();
  const auto& so = s.options();
  json::object o;
  o["alt-speed-down"] = 50;
  o["alt-speed-enabled"] = false;
  o["alt-speed-time-begin"] = 540;
  o["alt-speed-time-day"] = 127;
  o["alt-speed-time-enabled"] = false;
  o["alt-speed-time-end"] = 1020;
  o["alt-speed-up"] = 50;
  o["blocklist-enabled"] = false;
  o["blocklist-size"] = 0;
  o["blocklist-url"] = "";
  o["cache-size-mb"] = 4;
  o["config-dir"] = api_.store().dir().string();
  o["dht-enabled"] = s.dht_status().enabled;
  o["download-dir"] = api_.download_dir().string();
  struct statvfs vfs {};
  o["download-dir-free-space"] =
      ::statvfs(api_.download_dir().c_str(), &vfs) == 0
          ? static_cast<std::int64_t>(vfs.f_bavail) * static_cast<std::int64_t>(vfs.f_frsize)
          : std::int64_t{-1};
  o["download-queue-enabled"] = false;
  o["download-queue-size"] = 5;
  o["encryption"] = so.encryption == encryption_policy::require   ? "required"
                    : so.encryption == encryption_policy::disable ? "tolerated"
                                                                  : "preferred";
  o["idle-seeding-limit"] = 30;
  o["idle-seeding-limit-enabled"] = false;
  o["incomplete-dir"] = api_.download_dir().string();
  o["incomplete-dir-enabled"] = false;
  o["lpd-enabled"] = false;
  o["peer-limit-global"] =
      so.max_peers * std::max<std::int64_t>(1, static_cast<std::int64_t>(s.torrents().size()));
  o["peer-limit-per-torrent"] = so.max_peers;
  o["peer-port"] = s.listen_port();
  o["peer-port-random-on-start"] = false;
  o["pex-enabled"] = true;
  o["port-forwarding-enabled"] = false;
  o["queue-stalled-enabled"] = false;
  o["queue-stalled-minutes"] = 30;
  o["rename-partial-files"] = false;
  o["rpc-version"] = 16;
  o["rpc-version-minimum"] = 1;
  o["rpc-version-semver"] = "5.2.0";
  o["script-torrent-done-enabled"] = false;
  o["script-torrent-done-filename"] = "";
  o["seed-queue-enabled"] = false;
  o["seed-queue-size"] = 10;
  o["seedRatioLimit"] = 2.0;
  o["seedRatioLimited"] = false;
  o["session-id"] = session_id_;
  o["speed-limit-down"] = st.max_download_rate / kilo;
  o["speed-limit-down-enabled"] = st.max_download_rate > 0;
  o["speed-limit-up"] = st.max_upload_rate / kilo;
  o["speed-limit-up-enabled"] = st.max_upload_rate > 0;
  o["start-added-torrents"] = true;
  o["trash-original-torrent-files"] = false;
  o["units"] = json::object{
      {"memory-bytes", 1024}, {"memory-units", json::array{"KiB", "MiB", "GiB", "TiB"}},
      {"size-bytes", 1000},   {"size-units", json::array{"kB", "MB", "GB", "TB"}},
      {"speed-bytes", 1000},  {"speed-units", json::array{"kB/s", "MB/s", "GB/s", "TB/s"}},
  };
  o["utp-enabled"] = false;
  o["version"] = std::string("3.00 (") + client_version + ")";
  outcome out;
  if (const auto* f = args.if_contains("fields"); f && f->is_array()) {
    for (const auto& k : f->as_array()) {
      if (!k.is_string()) continue;
      if (const auto* v = o.if_contains(k.as_string())) out.arguments[k.as_string()] = *v;
    }
  } else {
    out.arguments = std::move(o);
  }
  return out;
}

outcome transmission_rpc::session_set(const json::object& args) {
  const auto& st = api_.saved();
  std::int64_t down = st.max_download_rate, up = st.max_upload_rate;
  // A limit's value and its switch may come separately; a switched-off limit is none.
  const auto apply = [&](const char* value, const char* enabled, std::int64_t& rate) -> bool {
    const auto v = number_arg(args, value);
    if (args.contains(value) && !v) return false;
    const auto on = bool_arg(args, enabled);
    if (v) rate = static_cast<std::int64_t>(*v) * kilo;
    if (on && !*on) rate = 0;
    return true;
  };
  if (!apply("speed-limit-down", "speed-limit-down-enabled", down) ||
      !apply("speed-limit-up", "speed-limit-up-enabled", up)) {
    return fail("speed limits must be numbers from 0 up (kB/s)");
  }
  if (down != st.max_download_rate || up != st.max_upload_rate) api_.apply_session_limits(down, up);
  return {};  // other keys are taken and ignored, as 3.00 ignores what it does not know
}

outcome transmission_rpc::session_stats() {
  const auto all = api_.sess().status();
  std::int64_t active = 0, paused = 0, down = 0, up = 0, dl = 0, ul = 0;
  for (const auto& s : all) {
    const bool stopped = s.state == torrent_state::paused || s.state == torrent_state::finished ||
                         s.state == torrent_state::error;
    (stopped ? paused : active) += 1;
    down += static_cast<std::int64_t>(s.down_rate);
    up += static_cast<std::int64_t>(s.up_rate);
    dl += s.downloaded_total - s.downloaded_carried;
    ul += s.uploaded_total - s.uploaded_carried;
  }
  const std::int64_t seconds = static_cast<std::int64_t>(api_.sess().now());
  json::object current{{"uploadedBytes", ul},
                       {"downloadedBytes", dl},
                       {"filesAdded", static_cast<std::int64_t>(all.size())},
                       {"sessionCount", 1},
                       {"secondsActive", seconds}};
  outcome out;
  out.arguments["activeTorrentCount"] = active;
  out.arguments["pausedTorrentCount"] = paused;
  out.arguments["torrentCount"] = static_cast<std::int64_t>(all.size());
  out.arguments["downloadSpeed"] = down;
  out.arguments["uploadSpeed"] = up;
  out.arguments["cumulative-stats"] = current;
  out.arguments["current-stats"] = std::move(current);
  return out;
}

outcome transmission_rpc::free_space(const json::object& args) {
  const auto* p = string_arg(args, "path");
  if (!p) return fail("directory path argument is missing");
  const std::string path(*p);
  const std::string dir = api_.download_dir().string();
  if (path != dir && !daemon::is_inside(dir, path)) {
    return fail("only the download directory and what is inside it are looked at");
  }
  struct statvfs vfs {};
  if (::statvfs(path.c_str(), &vfs) != 0) return fail("no such directory");
  outcome out;
  out.arguments["path"] = path;
  out.arguments["size-bytes"] =
      static_cast<std::int64_t>(vfs.f_bavail) * static_cast<std::int64_t>(vfs.f_frsize);
  return out;
}

}  // namespace corrent::io
