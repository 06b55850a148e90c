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
#include "io/torrent/torrent.hpp"

namespace corrent::io {
namespace json = boost::json;
namespace qb = daemon::qbittorrent;

// What one sync/maindata reply held, to diff the next one against.
struct qbittorrent_api::snapshot {
  // One arena for the lot: thousands of objects of ~60 fields each.
  json::storage_ptr sp = json::make_shared_resource<json::monotonic_resource>();
  std::map<std::string, json::object> torrents;
  json::object categories;
  std::vector<std::string> tags;
  json::object server_state;
};

namespace {

http_response text_reply(unsigned status, std::string body) {
  http_response r;
  r.status = status;
  r.content_type = "text/plain; charset=UTF-8";
  r.body = std::move(body);
  return r;
}

http_response ok() {
  return text_reply(200, "Ok.");
}
http_response done() {
  return text_reply(200, "");
}  // an action's reply: an empty 200

http_response json_ok(const json::value& v) {
  http_response r;
  r.content_type = "application/json";
  r.body = json::serialize(v);
  return r;
}

std::string param(const std::map<std::string, std::string>& p, const char* key) {
  const auto it = p.find(key);
  return it == p.end() ? std::string() : it->second;
}

bool truthy(const std::string& v) {
  return v == "true" || v == "1" || v == "True";
}

// "host:port" of an Origin or Referer URL ("http://host:port/..."); empty if none.
std::string url_host(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return {};
  const auto start = scheme + 3;
  const auto end = url.find_first_of("/?#", start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// A list of names: "a,b" (tags, categories) trimmed, empty ones dropped.
std::vector<std::string> split_list(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= s.size()) {
    auto end = s.find(sep, at);
    if (end == std::string::npos) end = s.size();
    std::string x = s.substr(at, end - at);
    while (!x.empty() && x.front() == ' ') x.erase(x.begin());
    while (!x.empty() && x.back() == ' ') x.pop_back();
    if (!x.empty()) out.push_back(std::move(x));
    at = end + 1;
  }
  return out;
}

bool valid_category(const std::string& name) {
  if (name.empty() || name.size() > 255 || name.front() == '/' || name.back() == '/') return false;
  if (name.find("//") != std::string::npos) return false;
  for (unsigned char c : name) {
    if (c < 0x20 || c == '\\') return false;
  }
  return true;
}

// Writes one JSON object as text, field by field (the fast path of torrents/info).
class json_text_writer {
 public:
  explicit json_text_writer(std::string& out) : out_(out) {}
  void operator()(std::string_view k, std::int64_t v) {
    key(k);
    fmt::format_to(std::back_inserter(out_), "{}", v);
  }
  void operator()(std::string_view k, int v) { (*this)(k, static_cast<std::int64_t>(v)); }
  void operator()(std::string_view k, double v) {
    key(k);
    if (std::isfinite(v)) {
      const auto at = out_.size();
      fmt::format_to(std::back_inserter(out_), "{}", v);
      // A real stays a real for typed clients: 1.0, not 1.
      if (out_.find_first_of(".e", at) == std::string::npos) out_ += ".0";
    } else {
      out_ += "null";
    }
  }
  void operator()(std::string_view k, bool v) {
    key(k);
    out_ += v ? "true" : "false";
  }
  void operator()(std::string_view k, std::string_view v) {
    key(k);
    string(v);
  }
  void operator()(std::string_view k, const std::string& v) { (*this)(k, std::string_view(v)); }
  void operator()(std::string_view k, const char* v) { (*this)(k, std::string_view(v)); }
  void close() { out_ += first_ ? "{}" : "}"; }

 private:
  void key(std::string_view k) {
    out_ += first_ ? "{\"" : ",\"";
    first_ = false;
    out_ += k;
    out_ += "\":";
  }
  void string(std::string_view v) {
    static constexpr char hex[] = "0123456789abcdef";
    out_ += '"';
    for (const char ch : v) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += ch;
      } else if (c < 0x20) {
        out_ += "\\u00";
        out_ += hex[c >> 4];
        out_ += hex[c & 15];
      } else {
        out_ += ch;
      }
    }
    out_ += '"';
  }
  std::string& out_;
  bool first_ = true;
};

}  // namespace

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
  if (name == "torrents/properties") co_return properties(p);
  if (name == "torrents/files") co_return files(p);
  if (name == "torrents/trackers") co_return trackers(p);
  if (name == "torrents/pieceStates") co_return piece_states(p);
  if (name == "torrents/add") co_return add(req, p);
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

// --- torrents -----------------------------------------------------------------------------

template <class Put>
qbittorrent_api::brief qbittorrent_api::emit_torrent(const std::string& hash, Put&& put) {
  const auto* e = api_.entry_of(hash);
  const auto [t, s] = api_.find_with_status(hash);
  const std::int64_t now = unix_now();
  const std::int64_t left = s.bytes_total - s.bytes_done;
  const bool complete = s.bytes_total > 0 && left == 0;
  std::string state = qb::state_of(state_name(s.state), complete, s.down_rate, s.up_rate);
  const bool forced = forced_.count(hash) != 0;
  if (forced && (state == "uploading" || state == "stalledUP")) state = "forcedUP";
  if (forced && (state == "downloading" || state == "stalledDL")) state = "forcedDL";
  int seeds = 0, leechers = 0;
  if (t && s.peers_connected > 0) {
    for (const auto& p : t->live_peers()) (p.progress >= 1.0 ? seeds : leechers) += 1;
  }
  std::string tracker;
  std::int64_t trackers_count = 0;
  std::int64_t swarm_seeds = 0, swarm_leechers = 0;  // the trackers' counts
  std::int64_t reannounce = 0;
  std::string magnet = "magnet:?xt=urn:btih:" + hash;
  if (!s.name.empty()) {
    magnet += "&dn=";
    text::append_percent_encoded(magnet, s.name);
  }
  if (t) {
    const double clock = api_.sess().now();
    for (const auto& tier : t->trackers()) {
      trackers_count += static_cast<std::int64_t>(tier.urls.size());
      swarm_seeds = std::max(swarm_seeds, tier.seeders);
      swarm_leechers = std::max(swarm_leechers, tier.leechers);
      if (tracker.empty() && tier.ok && !tier.urls.empty()) tracker = tier.urls.front();
      if (tier.announced && (reannounce == 0 || tier.next_round_at - clock < reannounce))
        reannounce =
            std::max<std::int64_t>(0, static_cast<std::int64_t>(tier.next_round_at - clock));
      for (const auto& u : tier.urls) {  // in the magnet
        magnet += "&tr=";
        text::append_percent_encoded(magnet, u);
      }
    }
  }
  const std::string save = e ? e->save_path : std::string();
  std::string tags;
  if (e) {
    for (const auto& tag : e->tags) tags += (tags.empty() ? "" : ", ") + tag;
  }
  put("added_on", e ? e->added_at : 0);
  put("amount_left", left);
  put("auto_tmm", false);
  put("availability", s.peers_connected > 0 ? 1.0 : -1.0);
  put("category", e ? e->category : std::string());
  put("completed", s.bytes_done);
  put("completion_on", e && e->completed_at ? e->completed_at : -1);
  put("content_path", s.name.empty() ? save : save + "/" + s.name);
  put("dl_limit", e && e->max_download_rate ? e->max_download_rate : -1);
  put("dlspeed", static_cast<std::int64_t>(s.down_rate));
  put("download_path", "");
  put("downloaded", s.downloaded_total);
  put("downloaded_session", s.downloaded_total - s.downloaded_carried);
  put("eta", s.state == torrent_state::downloading ? qb::eta(left, s.down_rate) : qb::max_eta);
  put("f_l_piece_prio", false);
  put("force_start", forced);
  put("hash", hash);
  put("inactive_seeding_time_limit", -2);
  put("infohash_v1", hash);
  put("infohash_v2", "");
  put("last_activity", s.down_rate >= 1 || s.up_rate >= 1 ? now : (e ? e->added_at : 0));
  put("magnet_uri", magnet);
  put("max_inactive_seeding_time", -1);
  put("max_ratio",
      e && e->seed_ratio_milli ? static_cast<double>(e->seed_ratio_milli) / 1000 : -1.0);
  put("max_seeding_time", e && e->seed_time_s ? e->seed_time_s / 60 : -1);
  // -2: the global limit (none in corrent), -1: none for this torrent, else its limit.
  put("name", s.name);
  put("num_complete", swarm_seeds);
  put("num_incomplete", swarm_leechers);
  put("num_leechs", leechers);
  put("num_seeds", seeds);
  put("priority", 0);
  put("progress", progress(s.bytes_done, s.bytes_total));
  put("ratio", qb::ratio(s.uploaded_total, s.downloaded_total));
  put("ratio_limit", !e                    ? -2.0
                     : e->seed_ratio_milli ? static_cast<double>(e->seed_ratio_milli) / 1000
                     : e->no_ratio_limit   ? -1.0
                                           : -2.0);
  put("reannounce", reannounce);
  put("root_path", s.name.empty() ? save : save + "/" + s.name);
  put("save_path", save);
  put("seeding_time", static_cast<std::int64_t>(s.seeding_s));
  put("seeding_time_limit", !e                 ? std::int64_t{-2}
                            : e->seed_time_s   ? e->seed_time_s / 60
                            : e->no_time_limit ? std::int64_t{-1}
                                               : std::int64_t{-2});
  put("seen_complete", complete ? (e && e->completed_at ? e->completed_at : now) : -1);
  put("seq_dl", false);
  put("size", s.bytes_total);
  put("state", state);
  put("super_seeding", false);
  put("tags", tags);
  put("time_active", static_cast<std::int64_t>(s.elapsed_s));
  put("total_size", s.bytes_total);
  put("tracker", tracker);
  put("trackers_count", trackers_count);
  put("up_limit", e && e->max_upload_rate ? e->max_upload_rate : -1);
  put("uploaded", s.uploaded_total);
  put("uploaded_session", s.uploaded_total - s.uploaded_carried);
  put("upspeed", static_cast<std::int64_t>(s.up_rate));
  return {state, s.down_rate, s.up_rate};
}

json::object qbittorrent_api::torrent_object(const std::string& hash, json::storage_ptr sp) {
  json::object o(sp);
  o.reserve(64);
  emit_torrent(hash, [&](std::string_view k, const auto& v) { o[k] = v; });
  return o;
}

http_response qbittorrent_api::info(const params& p) {
  const std::string filter = param(p, "filter");
  const bool by_category = p.count("category") != 0;
  const std::string category = param(p, "category");
  const bool by_tag = p.count("tag") != 0;
  const std::string tag = param(p, "tag");
  std::optional<std::vector<std::string>> hashes;
  if (p.count("hashes")) hashes = qb::parse_hashes(param(p, "hashes"));
  if (param(p, "sort").empty()) {
    // The common call (every poll of Sonarr and its kin), thousands of torrents: written
    // straight as text, without building objects.
    std::string body = "[";
    std::string one;
    std::int64_t offset = 0, limit = -1;
    try {
      if (p.count("offset")) offset = std::stoll(param(p, "offset"));
      if (p.count("limit")) limit = std::stoll(param(p, "limit"));
    } catch (const std::exception&) {
      return text_reply(400, "offset and limit are integers");
    }
    std::vector<std::string> kept;
    for (const auto& e : api_.saved().torrents) {
      if (hashes && std::find(hashes->begin(), hashes->end(), e.info_hash) == hashes->end())
        continue;
      if (by_category && e.category != category) continue;
      if (by_tag && (tag.empty() ? !e.tags.empty()
                                 : std::find(e.tags.begin(), e.tags.end(), tag) == e.tags.end()))
        continue;
      one.clear();
      json_text_writer w(one);
      const auto b = emit_torrent(e.info_hash, w);
      w.close();
      if (!qb::passes(filter, b.state, b.down_rate, b.up_rate).value_or(true)) continue;
      kept.push_back(std::move(one));
      one = std::string();
    }
    const auto n = static_cast<std::int64_t>(kept.size());
    if (offset < 0) offset = std::max<std::int64_t>(0, n + offset);
    bool first = true;
    for (std::int64_t i = offset; i < n && (limit <= 0 || i < offset + limit); ++i) {
      if (!first) body += ',';
      first = false;
      body += kept[static_cast<std::size_t>(i)];
    }
    body += ']';
    http_response r;
    r.content_type = "application/json";
    r.body = std::move(body);
    return r;
  }
  // One arena for the reply: thousands of objects of ~60 fields each.
  const auto sp = json::make_shared_resource<json::monotonic_resource>();
  json::array out(sp);
  for (const auto& e : api_.saved().torrents) {
    if (hashes && std::find(hashes->begin(), hashes->end(), e.info_hash) == hashes->end()) continue;
    if (by_category && e.category != category) continue;
    if (by_tag && (tag.empty() ? !e.tags.empty()
                               : std::find(e.tags.begin(), e.tags.end(), tag) == e.tags.end()))
      continue;
    auto o = torrent_object(e.info_hash, sp);
    const double dl = o["dlspeed"].to_number<double>(), ul = o["upspeed"].to_number<double>();
    // An unknown filter is `all`, as in qBittorrent.
    if (!qb::passes(filter, o["state"].as_string(), dl, ul).value_or(true)) continue;
    out.push_back(std::move(o));
  }
  // sort, reverse, limit, offset.
  if (const std::string key = param(p, "sort"); !key.empty()) {
    std::stable_sort(out.begin(), out.end(), [&](const json::value& a, const json::value& b) {
      const auto* x = a.as_object().if_contains(key);
      const auto* y = b.as_object().if_contains(key);
      if (!x || !y) return false;
      if (x->is_string() && y->is_string()) return x->as_string() < y->as_string();
      if (x->is_number() && y->is_number()) return x->to_number<double>() < y->to_number<double>();
      return false;
    });
  }
  if (truthy(param(p, "reverse"))) std::reverse(out.begin(), out.end());
  std::int64_t offset = 0, limit = -1;
  try {
    if (p.count("offset")) offset = std::stoll(param(p, "offset"));
    if (p.count("limit")) limit = std::stoll(param(p, "limit"));
  } catch (const std::exception&) {
    return text_reply(400, "offset and limit are integers");
  }
  const auto n = static_cast<std::int64_t>(out.size());
  if (offset < 0) offset = std::max<std::int64_t>(0, n + offset);
  json::array page(sp);
  for (std::int64_t i = offset; i < n && (limit <= 0 || i < offset + limit); ++i)
    page.push_back(std::move(out[static_cast<std::size_t>(i)]));
  return json_ok(page);
}

namespace {

// The running torrent of `hash` (a full 40-hex info-hash), or null.
std::shared_ptr<torrent> find_torrent(daemon_api& api, const std::string& hash) {
  if (hash.empty()) return nullptr;
  std::string h = hash;
  for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!daemon::is_info_hash_hex(h) || !api.entry_of(h)) return nullptr;
  const auto d = crypto::sha1_from_hex(h);
  return d ? api.sess().find(*d) : nullptr;
}

}  // namespace

http_response qbittorrent_api::properties(const params& p) {
  if (!p.count("hash")) return text_reply(400, "Missing required parameter: hash");
  const auto t = find_torrent(api_, param(p, "hash"));
  if (!t) return text_reply(404, "Not Found");
  const std::string hash = crypto::to_hex(t->info_hash());
  const auto* e = api_.entry_of(hash);
  const auto s = t->status();
  const auto* info = t->info();
  const auto o = torrent_object(hash);
  json::object r;
  r["addition_date"] = e ? e->added_at : 0;
  r["comment"] = "";
  r["completion_date"] = e && e->completed_at ? e->completed_at : -1;
  r["created_by"] = "";
  r["creation_date"] = -1;
  r["dl_limit"] = o.at("dl_limit");
  r["dl_speed"] = static_cast<std::int64_t>(s.down_rate);
  r["dl_speed_avg"] =
      s.elapsed_s > 0
          ? static_cast<std::int64_t>(
                static_cast<double>(s.downloaded_total - s.downloaded_carried) / s.elapsed_s)
          : 0;
  r["download_path"] = "";
  r["eta"] = o.at("eta");
  r["hash"] = hash;
  r["infohash_v1"] = hash;
  r["infohash_v2"] = "";
  r["is_private"] = info && info->is_private;
  r["last_seen"] = o.at("seen_complete");
  r["name"] = s.name;
  r["nb_connections"] = s.peers_connected;
  r["nb_connections_limit"] = api_.sess().options().max_peers;
  r["peers"] = o.at("num_leechs");
  r["peers_total"] = s.peers_known;
  r["piece_size"] = info ? info->piece_length : 0;
  r["pieces_have"] = s.pieces_done;
  r["pieces_num"] = s.pieces_total;
  r["reannounce"] = o.at("reannounce");
  r["save_path"] = e ? e->save_path : std::string();
  r["seeding_time"] = static_cast<std::int64_t>(s.seeding_s);
  r["seeds"] = o.at("num_seeds");
  r["seeds_total"] = o.at("num_seeds");
  r["share_ratio"] = o.at("ratio");
  r["time_elapsed"] = static_cast<std::int64_t>(s.elapsed_s);
  r["total_downloaded"] = s.downloaded_total;
  r["total_downloaded_session"] = s.downloaded_total - s.downloaded_carried;
  r["total_size"] = s.bytes_total;
  r["total_uploaded"] = s.uploaded_total;
  r["total_uploaded_session"] = s.uploaded_total - s.uploaded_carried;
  r["total_wasted"] = s.hash_failures * (info ? info->piece_length : 0);
  r["up_limit"] = o.at("up_limit");
  r["up_speed"] = static_cast<std::int64_t>(s.up_rate);
  r["up_speed_avg"] =
      s.elapsed_s > 0
          ? static_cast<std::int64_t>(static_cast<double>(s.uploaded_total - s.uploaded_carried) /
                                      s.elapsed_s)
          : 0;
  return json_ok(r);
}

http_response qbittorrent_api::files(const params& p) {
  if (!p.count("hash")) return text_reply(400, "Missing required parameter: hash");
  const auto t = find_torrent(api_, param(p, "hash"));
  if (!t) return text_reply(404, "Not Found");
  json::array out;
  if (const auto* info = t->info()) {
    const auto have = t->have();
    const auto done = swarm::file_bytes_done(*info, have);
    std::int64_t offset = 0;
    std::int64_t index = 0;
    for (std::size_t i = 0; i < info->files.size(); ++i) {
      const auto& f = info->files[i];
      const std::int64_t first = offset / info->piece_length;
      const std::int64_t last = f.length > 0 ? (offset + f.length - 1) / info->piece_length : first;
      offset += f.length;
      if (f.pad) continue;
      const double prog =
          f.length > 0 ? static_cast<double>(done[i]) / static_cast<double>(f.length) : 1.0;
      out.push_back(json::object{
          {"index", index++},
          {"name", f.path},  // "name/dir/file" for a multi-file torrent
          {"size", f.length},
          {"progress", prog},
          {"priority", 1},
          {"is_seed", prog >= 1.0},
          {"piece_range", json::array{first, last}},
          {"availability", -1},
      });
    }
  }
  return json_ok(out);
}

http_response qbittorrent_api::trackers(const params& p) {
  if (!p.count("hash")) return text_reply(400, "Missing required parameter: hash");
  const auto t = find_torrent(api_, param(p, "hash"));
  if (!t) return text_reply(404, "Not Found");
  const auto st = t->status();
  json::array out;
  const auto pseudo = [&](const char* url, bool on) {
    out.push_back(json::object{{"url", url},
                               {"status", on ? 2 : 0},
                               {"tier", -1},
                               {"num_peers", 0},
                               {"num_seeds", 0},
                               {"num_leeches", 0},
                               {"num_downloaded", 0},
                               {"msg", ""}});
  };
  const bool priv = t->info() && t->info()->is_private;
  pseudo("** [DHT] **", !priv && api_.sess().dht_status().enabled);
  pseudo("** [PeX] **", !priv);
  pseudo("** [LSD] **", false);
  std::int64_t tier_index = 0;
  for (const auto& tier : t->trackers()) {
    for (std::size_t u = 0; u < tier.urls.size(); ++u) {
      // 1 not contacted, 2 working, 3 updating, 4 not working.
      const int status = u > 0 || !tier.announced ? 1 : tier.in_flight ? 3 : tier.ok ? 2 : 4;
      out.push_back(json::object{{"url", tier.urls[u]},
                                 {"status", status},
                                 {"tier", tier_index},
                                 {"num_peers", u == 0 ? tier.last_peers : 0},
                                 {"num_seeds", u == 0 && tier.counts_at > 0 ? tier.seeders : -1},
                                 {"num_leeches", u == 0 && tier.counts_at > 0 ? tier.leechers : -1},
                                 {"num_downloaded", -1},
                                 {"msg", status == 4 ? "could not announce" : ""}});
    }
    ++tier_index;
  }
  (void)st;
  return json_ok(out);
}

http_response qbittorrent_api::piece_states(const params& p) {
  if (!p.count("hash")) return text_reply(400, "Missing required parameter: hash");
  const auto t = find_torrent(api_, param(p, "hash"));
  if (!t) return text_reply(404, "Not Found");
  json::array out;
  const auto have = t->have();
  for (std::size_t i = 0; i < have.size(); ++i) out.push_back(have.test(i) ? 2 : 0);
  return json_ok(out);
}

http_response qbittorrent_api::add(const http_request& req, const params& p) {
  std::vector<std::pair<std::string, std::string>> sources;  // kind, payload
  for (const auto& u : split_list(param(p, "urls"), '\n')) {
    std::string url = u;
    if (!url.empty() && url.back() == '\r') url.pop_back();
    if (metainfo::is_magnet(url)) {
      sources.emplace_back("magnet", url);
    } else if (url.size() == 40 && daemon::is_info_hash_hex(url)) {
      sources.emplace_back("magnet", "magnet:?xt=urn:btih:" + url);
    } else {
      spdlog::warn("qbittorrent api: add by URL is not supported: {}",
                   text::printable(url.substr(0, 200)));
      return text_reply(200, "Fails.");
    }
  }
  if (const auto boundary = text::multipart_boundary(req.header("content-type"))) {
    const auto parts = text::parse_multipart(req.body, *boundary);
    if (parts) {
      for (const auto& part : *parts) {
        if (part.filename.empty()) continue;
        metainfo::parse_limits limits;
        if (!metainfo::parse_torrent(part.data, limits)) {
          return text_reply(415, "Error: '" + text::printable(part.filename.substr(0, 200)) +
                                     "' is not a valid torrent file.");
        }
        sources.emplace_back("torrent", part.data);
      }
    }
  }
  if (sources.empty()) return text_reply(400, "no torrents (urls or torrents) given");
  const std::string category = param(p, "category");
  const auto& cats = api_.saved().categories;
  const auto cat =
      std::find_if(cats.begin(), cats.end(), [&](const auto& c) { return c.first == category; });
  if (!category.empty() && cat == cats.end()) {
    // qBittorrent creates a category named on add.
    if (!valid_category(category)) return text_reply(400, "Incorrect category name");
    api_.saved_for_update().categories.emplace_back(category, "");
    std::sort(api_.saved_for_update().categories.begin(), api_.saved_for_update().categories.end());
  }
  std::string save = param(p, "savepath");
  if (save.empty() && !category.empty()) {
    const auto c =
        std::find_if(cats.begin(), cats.end(), [&](const auto& x) { return x.first == category; });
    if (c != cats.end()) save = c->second;
  }
  const bool paused = truthy(param(p, "paused")) || truthy(param(p, "stopped"));
  const auto tags = split_list(param(p, "tags"), ',');
  bool any = false;
  for (const auto& [kind, payload] : sources) {
    const auto r = api_.add_torrent(kind, payload, save, paused);
    if (r.status != 201) {
      spdlog::info("qbittorrent api: add refused: {}", r.error);
      continue;
    }
    any = true;
    if (auto* e = api_.entry_of(r.id)) {
      e->category = category;
      for (const auto& tag : tags) {
        if (std::find(e->tags.begin(), e->tags.end(), tag) == e->tags.end()) e->tags.push_back(tag);
        auto& all = api_.saved_for_update().tags;
        if (std::find(all.begin(), all.end(), tag) == all.end()) all.push_back(tag);
      }
      std::sort(e->tags.begin(), e->tags.end());
      std::sort(api_.saved_for_update().tags.begin(), api_.saved_for_update().tags.end());
    }
  }
  api_.save_list();
  return text_reply(200, any ? "Ok." : "Fails.");
}

http_response qbittorrent_api::share_limits(const params& p) {
  if (!p.count("hashes") || !p.count("ratioLimit") || !p.count("seedingTimeLimit")) {
    return text_reply(400, "Missing required parameters: hashes, ratioLimit, seedingTimeLimit");
  }
  double ratio = 0, minutes = 0;
  try {
    ratio = std::stod(param(p, "ratioLimit"));
    minutes = std::stod(param(p, "seedingTimeLimit"));
  } catch (const std::exception&) {
    return text_reply(400, "ratioLimit and seedingTimeLimit are numbers");
  }
  if (!std::isfinite(ratio) || !std::isfinite(minutes) || ratio > 1e6 || minutes > 1e9) {
    return text_reply(400, "ratioLimit and seedingTimeLimit are numbers");
  }
  const auto wanted = qb::parse_hashes(param(p, "hashes"));
  for (auto& e : api_.saved_for_update().torrents) {
    if (wanted && std::find(wanted->begin(), wanted->end(), e.info_hash) == wanted->end()) continue;
    // -2: the global limit (none here), -1: none, else the limit.
    e.seed_ratio_milli = ratio < 0 ? 0 : static_cast<std::int64_t>(ratio * 1000 + 0.5);
    e.no_ratio_limit = ratio < 0 && ratio > -1.5;
    e.seed_time_s = minutes < 0 ? 0 : static_cast<std::int64_t>(minutes * 60);
    e.no_time_limit = minutes < 0 && minutes > -1.5;
    const auto d = crypto::sha1_from_hex(e.info_hash);
    const auto t = d ? api_.sess().find(*d) : nullptr;
    api_.apply_limits(e, t.get());
  }
  return done();
}

http_response qbittorrent_api::categories(const std::string& name, const params& p) {
  auto& st = api_.saved_for_update();
  auto& cats = st.categories;
  const std::string category = param(p, "category");
  const auto find = [&](const std::string& n) {
    return std::find_if(cats.begin(), cats.end(), [&](const auto& c) { return c.first == n; });
  };
  const auto save_path_of = [&](std::string& out) -> bool {
    const std::string asked = param(p, "savePath");
    if (asked.empty()) {
      out.clear();
      return true;
    }
    const auto r = daemon::resolve_save_path(api_.download_dir().string(), asked);
    if (!r) return false;
    out = *r;
    return true;
  };
  if (name == "torrents/categories") {
    json::object o;
    for (const auto& [n, path] : cats) {
      o[n] = json::object{{"name", n}, {"savePath", path}};
    }
    return json_ok(o);
  }
  if (name == "torrents/createCategory" || name == "torrents/editCategory") {
    if (category.empty()) return text_reply(400, "Missing required parameter: category");
    if (!valid_category(category)) return text_reply(409, "Incorrect category name");
    std::string path;
    if (!save_path_of(path)) {
      return text_reply(
          400, "savePath must be inside the download directory " + api_.download_dir().string());
    }
    const auto it = find(category);
    if (name == "torrents/createCategory") {
      if (it != cats.end()) return text_reply(409, "Category already exists");
      cats.emplace_back(category, path);
      std::sort(cats.begin(), cats.end());
    } else {
      if (it == cats.end()) return text_reply(409, "Category does not exist");
      it->second = path;
    }
    api_.save_list();
    return done();
  }
  if (name == "torrents/removeCategories") {
    for (const auto& n : split_list(param(p, "categories"), '\n')) {
      const auto it = find(n);
      if (it == cats.end()) continue;
      cats.erase(it);
      for (auto& e : st.torrents) {
        if (e.category == n) e.category.clear();
      }
    }
    api_.save_list();
    return done();
  }
  // setCategory
  if (!p.count("hashes") || !p.count("category")) {
    return text_reply(400, "Missing required parameters: hashes, category");
  }
  if (!category.empty() && find(category) == cats.end()) {
    return text_reply(409, "Category does not exist");
  }
  const auto wanted = qb::parse_hashes(param(p, "hashes"));
  for (auto& e : st.torrents) {
    if (!wanted || std::find(wanted->begin(), wanted->end(), e.info_hash) != wanted->end())
      e.category = category;
  }
  api_.save_list();
  return done();
}

http_response qbittorrent_api::tags(const std::string& name, const params& p) {
  auto& st = api_.saved_for_update();
  auto& all = st.tags;
  if (name == "torrents/tags") {
    json::array a;
    for (const auto& t : all) a.push_back(json::string(t));
    return json_ok(a);
  }
  const auto list = split_list(param(p, "tags"), ',');
  const auto known = [&](const std::string& t) {
    return std::find(all.begin(), all.end(), t) != all.end();
  };
  if (name == "torrents/createTags") {
    for (const auto& t : list) {
      if (!known(t)) all.push_back(t);
    }
  } else if (name == "torrents/deleteTags") {
    for (const auto& t : list) {
      std::erase(all, t);
      for (auto& e : st.torrents) std::erase(e.tags, t);
    }
  } else {
    if (!p.count("hashes")) return text_reply(400, "Missing required parameter: hashes");
    const auto wanted = qb::parse_hashes(param(p, "hashes"));
    for (auto& e : st.torrents) {
      if (wanted && std::find(wanted->begin(), wanted->end(), e.info_hash) == wanted->end())
        continue;
      for (const auto& t : list) {
        if (name == "torrents/addTags") {
          if (std::find(e.tags.begin(), e.tags.end(), t) == e.tags.end()) e.tags.push_back(t);
          if (!known(t)) all.push_back(t);
        } else {
          std::erase(e.tags, t);
        }
      }
      std::sort(e.tags.begin(), e.tags.end());
    }
  }
  std::sort(all.begin(), all.end());
  api_.save_list();
  return done();
}

// --- sync/maindata ---------------------------------------------------------------------------

http_response qbittorrent_api::maindata(const params& p) {
  std::int64_t rid = 0;
  try {
    if (p.count("rid")) rid = std::stoll(param(p, "rid"));
  } catch (const std::exception&) {
    rid = 0;
  }
  auto now = std::make_shared<snapshot>();
  for (const auto& e : api_.saved().torrents)
    now->torrents.emplace(e.info_hash, torrent_object(e.info_hash, now->sp));
  for (const auto& [n, path] : api_.saved().categories) {
    now->categories[n] = json::object{{"name", n}, {"savePath", path}};
  }
  now->tags = api_.saved().tags;
  now->server_state = server_state();
  const auto it = snapshots_.find(rid);
  const snapshot* before = it == snapshots_.end() ? nullptr : it->second.get();
  json::object out;
  out["rid"] = ++rid_;
  if (!before) {
    // An unknown rid (or 0): everything.
    out["full_update"] = true;
    json::object ts;
    for (const auto& [h, o] : now->torrents) ts[h] = o;
    out["torrents"] = std::move(ts);
    out["categories"] = now->categories;
    json::array tags;
    for (const auto& t : now->tags) tags.push_back(json::string(t));
    out["tags"] = std::move(tags);
    out["server_state"] = now->server_state;
  } else {
    // Only what changed: per torrent its changed fields, then what went away.
    // Clocks that tick every second (time_active, seeding_time, the reannounce countdown)
    // go out with a torrent's other changes, or once they moved a minute: an idle daemon's
    // delta stays empty. What was not sent stays in the snapshot as the client has it.
    const auto ticking = [](std::string_view k) {
      return k == "time_active" || k == "seeding_time" || k == "reannounce";
    };
    json::object ts;
    for (auto& [h, o] : now->torrents) {
      const auto old = before->torrents.find(h);
      if (old == before->torrents.end()) {
        ts[h] = o;
        continue;
      }
      json::object changed;
      bool other = false;
      for (const auto& [k, v] : o) {
        const auto* was = old->second.if_contains(k);
        if (!was || *was != v) {
          changed[k] = v;
          other = other || !ticking(k);
        }
      }
      if (!other) {
        for (const char* k : {"time_active", "seeding_time", "reannounce"}) {
          const auto* was = old->second.if_contains(k);
          const auto* is = changed.if_contains(k);
          if (!was || !is || !was->is_int64() || !is->is_int64()) continue;
          if (std::llabs(is->as_int64() - was->as_int64()) < 60) {
            o[k] = *was;
            changed.erase(k);
          }
        }
      }
      if (!changed.empty()) ts[h] = std::move(changed);
    }
    if (!ts.empty()) out["torrents"] = std::move(ts);
    json::array removed;
    for (const auto& [h, o] : before->torrents) {
      if (!now->torrents.count(h)) removed.push_back(json::string(h));
    }
    if (!removed.empty()) out["torrents_removed"] = std::move(removed);
    json::object cats;
    for (const auto& [k, v] : now->categories) {
      const auto* was = before->categories.if_contains(k);
      if (!was || *was != v) cats[k] = v;
    }
    if (!cats.empty()) out["categories"] = std::move(cats);
    json::array cats_removed;
    for (const auto& [k, v] : before->categories) {
      if (!now->categories.contains(k)) cats_removed.push_back(json::string(k));
    }
    if (!cats_removed.empty()) out["categories_removed"] = std::move(cats_removed);
    json::array tags_new, tags_removed;
    for (const auto& t : now->tags) {
      if (std::find(before->tags.begin(), before->tags.end(), t) == before->tags.end())
        tags_new.push_back(json::string(t));
    }
    for (const auto& t : before->tags) {
      if (std::find(now->tags.begin(), now->tags.end(), t) == now->tags.end())
        tags_removed.push_back(json::string(t));
    }
    if (!tags_new.empty()) out["tags"] = std::move(tags_new);
    if (!tags_removed.empty()) out["tags_removed"] = std::move(tags_removed);
    json::object server;
    for (const auto& [k, v] : now->server_state) {
      const auto* was = before->server_state.if_contains(k);
      if (!was || *was != v) server[k] = v;
    }
    if (!server.empty()) out["server_state"] = std::move(server);
  }
  snapshots_[rid_] = std::move(now);
  // A few clients at once; older rids get a full update.
  while (snapshots_.size() > 8) snapshots_.erase(snapshots_.begin());
  return json_ok(out);
}

}  // namespace corrent::io
