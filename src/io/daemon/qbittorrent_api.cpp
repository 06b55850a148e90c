#include "io/daemon/qbittorrent_api.hpp"

#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>

#include "core/crypto/sha1.hpp"
#include "core/daemon/api_rules.hpp"
#include "core/daemon/qbittorrent_rules.hpp"
#include "core/metainfo/magnet.hpp"
#include "core/metainfo/parse.hpp"
#include "core/swarm/file_progress.hpp"
#include "core/text/multipart.hpp"
#include "core/text/percent.hpp"
#include "core/text/printable.hpp"
#include "io/daemon/api_json.hpp"
#include "io/daemon/daemon_api.hpp"
#include "io/daemon/qbittorrent_util.hpp"
#include "io/torrent/torrent.hpp"

namespace corrent::io {
namespace json = boost::json;
namespace qb = daemon::qbittorrent;

using namespace qbt_detail;

qbittorrent_api::qbittorrent_api(daemon_api& api) : api_(api) {}
qbittorrent_api::~qbittorrent_api() = default;

boost::asio::awaitable<http_response> qbittorrent_api::handle(const http_request& req) {
  // As qBittorrent: a browser's cross-site request names another host in Origin or Referer.
  const std::string host = req.header("host");
  for (const char* h : {"origin", "referer"}) {
    const std::string v = req.header(h);
    if (!v.empty() && url_host(v) != host) co_return text_reply(401, "Unauthorized");
  }
  params p = req.query;
  const std::string type = req.header("content-type");
  if (type.rfind("application/x-www-form-urlencoded", 0) == 0) {
    const auto form = parse_form(req.body);
    if (!form) co_return text_reply(400, "malformed form body");
    for (const auto& [k, v] : *form) p[k] = v;
  } else if (const auto boundary = text::multipart_boundary(type)) {
    // torrents/add's files are read there; its plain fields join the parameters.
    const auto parts = text::parse_multipart(req.body, *boundary);
    if (!parts) co_return text_reply(400, "malformed multipart body");
    for (const auto& part : *parts) {
      if (part.filename.empty()) p[part.name] = part.data;
    }
  }
  const std::string name = req.path.substr(8);  // after "/api/v2/"
  if (name == "auth/login") co_return login(req, p);
  if (!api_.auth().has_session(req)) co_return text_reply(403, "Forbidden");
  co_return co_await call(name, req, p);
}

http_response qbittorrent_api::login(const http_request& req, const params& p) {
  std::string sid;
  double wait = 0;
  switch (api_.auth().try_login(req.peer, param(p, "username"), param(p, "password"), sid, wait)) {
    case api_auth::login_result::throttled:
      return text_reply(403,
                        "Your IP address has been banned after too many failed authentication "
                        "attempts.");
    case api_auth::login_result::wrong:
      return text_reply(200, "Fails.");
    case api_auth::login_result::ok:
      break;
  }
  auto r = ok();
  r.headers["Set-Cookie"] = std::string("SID=") + sid + "; HttpOnly; SameSite=Strict; path=/";
  return r;
}

boost::asio::awaitable<http_response> qbittorrent_api::call(const std::string& name,
                                                            const http_request& req, params& p) {
  if (name == "auth/logout") {
    api_.auth().end_session(req);
    co_return done();
  }
  if (name == "app/version") co_return text_reply(200, qb::app_version);
  if (name == "app/webapiVersion") co_return text_reply(200, qb::webapi_version);
  if (name == "app/buildInfo") {
    co_return json_ok(json::object{{"qt", ""},
                                   {"libtorrent", client_version},
                                   {"boost", "1.81"},
                                   {"openssl", "3"},
                                   {"bitness", 64}});
  }
  if (name == "app/defaultSavePath") co_return text_reply(200, api_.download_dir().string());
  if (name == "app/preferences") co_return preferences();
  if (name == "app/setPreferences") co_return set_preferences(p);
  if (name == "transfer/info") co_return transfer_info();
  if (name == "sync/maindata") co_return maindata(p);
  if (name == "torrents/info") co_return info(p);
  if (name == "torrents/properties" || name == "torrents/files" || name == "torrents/trackers" ||
      name == "torrents/pieceStates") {
    if (!p.count("hash")) co_return text_reply(400, "Missing required parameter: hash");
    const auto t = find_torrent(api_, param(p, "hash"));
    if (!t) co_return text_reply(404, "Not Found");
    if (name == "torrents/properties") co_return properties(*t);
    if (name == "torrents/files") co_return files(*t);
    if (name == "torrents/trackers") co_return trackers(*t);
    co_return piece_states(*t);
  }
  if (name == "torrents/add") co_return co_await add(req, p);
  if (name == "torrents/setShareLimits") co_return share_limits(p);
  if (name == "torrents/createCategory" || name == "torrents/editCategory" ||
      name == "torrents/removeCategories" || name == "torrents/categories" ||
      name == "torrents/setCategory") {
    co_return categories(name, p);
  }
  if (name == "torrents/addTags" || name == "torrents/removeTags" || name == "torrents/tags" ||
      name == "torrents/createTags" || name == "torrents/deleteTags") {
    co_return tags(name, p);
  }
  // Actions on `hashes` (all, or a|b|c); unknown hashes are skipped, as in qBittorrent.
  const bool action =
      name == "torrents/pause" || name == "torrents/resume" || name == "torrents/stop" ||
      name == "torrents/start" || name == "torrents/delete" || name == "torrents/recheck" ||
      name == "torrents/reannounce" || name == "torrents/setForceStart" ||
      name == "torrents/topPrio" || name == "torrents/bottomPrio" ||
      name == "torrents/increasePrio" || name == "torrents/decreasePrio" ||
      name == "torrents/setSuperSeeding" || name == "torrents/toggleSequentialDownload" ||
      name == "torrents/toggleFirstLastPiecePrio" || name == "torrents/setAutoManagement";
  if (!action) co_return text_reply(404, "Not Found");
  if (!p.count("hashes")) co_return text_reply(400, "Missing required parameter: hashes");
  if (name == "torrents/delete" && !p.count("deleteFiles"))
    co_return text_reply(400, "Missing required parameter: deleteFiles");
  if (name == "torrents/topPrio" || name == "torrents/bottomPrio" ||
      name == "torrents/increasePrio" || name == "torrents/decreasePrio") {
    co_return text_reply(409, "Torrent queueing must be enabled");  // no queue here
  }
  if (name == "torrents/setForceStart" && !p.count("value"))
    co_return text_reply(400, "Missing required parameter: value");
  const auto wanted = qb::parse_hashes(param(p, "hashes"));
  std::vector<std::string> ids;
  for (const auto& e : api_.saved().torrents) {
    if (!wanted || std::find(wanted->begin(), wanted->end(), e.info_hash) != wanted->end())
      ids.push_back(e.info_hash);
  }
  const bool delete_files = truthy(param(p, "deleteFiles"));
  for (const auto& id : ids) {
    if (name == "torrents/pause" || name == "torrents/stop") {
      co_await api_.set_paused(id, true);
    } else if (name == "torrents/resume" || name == "torrents/start") {
      co_await api_.set_paused(id, false);
    } else if (name == "torrents/setForceStart") {
      // No queue to skip: a forced torrent is one that runs, shown as forcedUP/forcedDL.
      if (truthy(param(p, "value"))) {
        forced_.insert(id);
        co_await api_.set_paused(id, false);
      } else {
        forced_.erase(id);
      }
    } else if (name == "torrents/delete") {
      co_await api_.remove_torrent(id, delete_files);
    } else if (name == "torrents/recheck") {
      const auto d = crypto::sha1_from_hex(id);
      const auto t = d ? api_.sess().find(*d) : nullptr;
      if (t && t->info()) api_.sess().spawn_recheck(*d);
    }
    // The piece-order calls change nothing: pieces are picked rarest first.
  }
  co_return done();
}

// --- app and transfer ---------------------------------------------------------------------

http_response qbittorrent_api::preferences() {
  auto& s = api_.sess();
  const auto& st = api_.saved();
  const auto& so = s.options();
  json::object o;
  o["save_path"] = api_.download_dir().string();
  o["temp_path_enabled"] = false;
  o["temp_path"] = "";
  o["dl_limit"] = st.max_download_rate;
  o["up_limit"] = st.max_upload_rate;
  o["alt_dl_limit"] = 0;
  o["alt_up_limit"] = 0;
  o["listen_port"] = s.listen_port();
  o["random_port"] = false;
  o["upnp"] = false;
  o["dht"] = s.dht_status().enabled;
  o["pex"] = true;
  o["lsd"] = false;
  o["encryption"] = so.encryption == encryption_policy::require   ? 1
                    : so.encryption == encryption_policy::disable ? 2
                                                                  : 0;
  o["max_connec"] = -1;
  o["max_connec_per_torrent"] = so.max_peers;
  o["max_uploads"] = -1;
  o["max_uploads_per_torrent"] = -1;
  o["max_ratio_enabled"] = false;
  o["max_ratio"] = -1;
  o["max_ratio_act"] = 0;
  o["max_seeding_time_enabled"] = false;
  o["max_seeding_time"] = -1;
  o["max_inactive_seeding_time_enabled"] = false;
  o["max_inactive_seeding_time"] = -1;
  o["queueing_enabled"] = false;
  o["max_active_downloads"] = -1;
  o["max_active_torrents"] = -1;
  o["max_active_uploads"] = -1;
  o["start_paused_enabled"] = false;
  o["auto_tmm_enabled"] = false;
  o["create_subfolder_enabled"] = true;
  o["torrent_content_layout"] = "Original";
  o["preallocate_all"] = false;
  o["incomplete_files_ext"] = false;
  o["web_ui_username"] = "admin";
  o["bypass_local_auth"] = !api_.auth().enabled();
  o["web_ui_csrf_protection_enabled"] = true;
  o["web_ui_host_header_validation_enabled"] = !api_.auth().enabled();
  o["dyndns_enabled"] = false;
  o["rss_processing_enabled"] = false;
  o["scan_dirs"] = json::object{};
  o["export_dir"] = "";
  o["export_dir_fin"] = "";
  o["locale"] = "en";
  return json_ok(o);
}

http_response qbittorrent_api::set_preferences(const params& p) {
  const auto it = p.find("json");
  if (it == p.end()) return text_reply(400, "Missing required parameter: json");
  boost::system::error_code ec;
  const json::value v = json::parse(it->second, ec);
  if (ec || !v.is_object()) return text_reply(400, "json is not a JSON object");
  const auto& o = v.as_object();
  const auto& st = api_.saved();
  std::int64_t down = st.max_download_rate, up = st.max_upload_rate;
  const auto rate = [&](const char* key, std::int64_t& out) -> bool {
    const auto* x = o.if_contains(key);
    if (!x) return true;
    if (!x->is_number()) return false;
    const double d = x->to_number<double>();
    if (!std::isfinite(d) || d > 1e15) return false;
    out = d <= 0 ? 0 : static_cast<std::int64_t>(d);
    return true;
  };
  if (!rate("dl_limit", down) || !rate("up_limit", up)) {
    return text_reply(400, "dl_limit and up_limit are bytes per second");
  }
  if (const auto* sp = o.if_contains("save_path")) {
    // The save path is the daemon's --download-dir: only that one is accepted.
    const std::string dir = api_.download_dir().string();
    if (!sp->is_string() || daemon::resolve_save_path(dir, std::string(sp->as_string())) != dir)
      return text_reply(400, "save_path is the daemon's --download-dir (" + dir + ")");
  }
  if (down != st.max_download_rate || up != st.max_upload_rate) api_.apply_session_limits(down, up);
  return done();  // other preferences are taken and left as they are
}

json::object qbittorrent_api::server_state() {
  const auto all = api_.sess().status();
  std::int64_t dl = 0, ul = 0, dl_all = 0, ul_all = 0, peers = 0;
  double down = 0, up = 0;
  for (const auto& s : all) {
    dl += s.downloaded_total - s.downloaded_carried;
    ul += s.uploaded_total - s.uploaded_carried;
    dl_all += s.downloaded_total;
    ul_all += s.uploaded_total;
    down += s.down_rate;
    up += s.up_rate;
    peers += s.peers_connected;
  }
  const auto& st = api_.saved();
  struct statvfs vfs {};
  const std::int64_t free_space =
      ::statvfs(api_.download_dir().c_str(), &vfs) == 0
          ? static_cast<std::int64_t>(vfs.f_bavail) * static_cast<std::int64_t>(vfs.f_frsize)
          : 0;
  const auto d = api_.sess().dht_status();
  json::object o;
  o["alltime_dl"] = dl_all;
  o["alltime_ul"] = ul_all;
  o["connection_status"] = "connected";
  o["dht_nodes"] = static_cast<std::int64_t>(d.enabled ? d.nodes : 0);
  o["dl_info_data"] = dl;
  o["dl_info_speed"] = static_cast<std::int64_t>(down);
  o["dl_rate_limit"] = st.max_download_rate;
  o["free_space_on_disk"] = free_space;
  o["global_ratio"] = fmt::format("{:.2f}", qb::ratio(ul_all, dl_all));
  o["queued_io_jobs"] = api_.sess().disk().queued();
  o["queueing"] = false;
  o["refresh_interval"] = 1500;
  o["total_peer_connections"] = peers;
  o["up_info_data"] = ul;
  o["up_info_speed"] = static_cast<std::int64_t>(up);
  o["up_rate_limit"] = st.max_upload_rate;
  o["use_alt_speed_limits"] = false;
  o["use_subcategories"] = false;
  return o;
}

http_response qbittorrent_api::transfer_info() {
  auto s = server_state();
  json::object o;
  for (const char* k : {"connection_status", "dht_nodes", "dl_info_data", "dl_info_speed",
                        "dl_rate_limit", "up_info_data", "up_info_speed", "up_rate_limit"}) {
    o[k] = s[k];
  }
  return json_ok(o);
}

}  // namespace corrent::io
