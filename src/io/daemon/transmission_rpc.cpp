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
#include "io/torrent/torrent.hpp"

namespace corrent::io {
namespace json = boost::json;
namespace tr = daemon::transmission;

struct transmission_rpc::outcome {
  std::string result = "success";
  json::object arguments;
};

struct transmission_rpc::extras {
  std::string comment, creator;
  std::int64_t date_created = 0;
};

namespace {

using outcome = transmission_rpc::outcome;

constexpr std::int64_t kilo = 1000;  // Transmission's speed unit: 1 kB/s = 1000 bytes/s

outcome fail(std::string why) {
  outcome o;
  o.result = std::move(why);
  return o;
}

// --- JSON-RPC 2.0 names: snake_case of the legacy ones ----------------------------------

std::string snake(std::string_view k) {
  std::string out;
  for (std::size_t i = 0; i < k.size(); ++i) {
    const char c = k[i];
    if (c == '-') {
      out += '_';
    } else if (c >= 'A' && c <= 'Z') {
      // A run of capitals is one word: isUTP -> is_utp.
      if (i > 0 && !(k[i - 1] >= 'A' && k[i - 1] <= 'Z') && k[i - 1] != '-') out += '_';
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      out += c;
    }
  }
  return out;
}

// Every legacy name a request may carry (methods, arguments, fields), by its snake_case.
const std::unordered_map<std::string, std::string>& legacy_names() {
  static const auto table = [] {
    std::unordered_map<std::string, std::string> m;
    for (const char* n : {"session-get",
                          "session-set",
                          "session-stats",
                          "torrent-add",
                          "torrent-get",
                          "torrent-set",
                          "torrent-start",
                          "torrent-start-now",
                          "torrent-stop",
                          "torrent-verify",
                          "torrent-reannounce",
                          "torrent-remove",
                          "free-space",
                          "port-test",
                          "queue-move-top",
                          "queue-move-up",
                          "queue-move-down",
                          "queue-move-bottom",
                          "recently-active",
                          "delete-local-data",
                          "download-dir",
                          "peer-limit",
                          "files-wanted",
                          "files-unwanted",
                          "speed-limit-down",
                          "speed-limit-down-enabled",
                          "speed-limit-up",
                          "speed-limit-up-enabled",
                          "activityDate",
                          "addedDate",
                          "bandwidthPriority",
                          "comment",
                          "corruptEver",
                          "creator",
                          "dateCreated",
                          "desiredAvailable",
                          "doneDate",
                          "downloadDir",
                          "downloadedEver",
                          "downloadLimit",
                          "downloadLimited",
                          "error",
                          "errorString",
                          "eta",
                          "fileCount",
                          "files",
                          "fileStats",
                          "hashString",
                          "haveUnchecked",
                          "haveValid",
                          "honorsSessionLimits",
                          "id",
                          "isFinished",
                          "isPrivate",
                          "isStalled",
                          "labels",
                          "leftUntilDone",
                          "magnetLink",
                          "metadataPercentComplete",
                          "name",
                          "peers",
                          "peersConnected",
                          "peersFrom",
                          "peersGettingFromUs",
                          "peersSendingToUs",
                          "percentDone",
                          "pieceCount",
                          "pieceSize",
                          "pieces",
                          "priorities",
                          "queuePosition",
                          "rateDownload",
                          "rateUpload",
                          "recheckProgress",
                          "secondsDownloading",
                          "secondsSeeding",
                          "seedIdleLimit",
                          "seedIdleMode",
                          "seedRatioLimit",
                          "seedRatioMode",
                          "sizeWhenDone",
                          "startDate",
                          "status",
                          "totalSize",
                          "trackers",
                          "trackerStats",
                          "uploadedEver",
                          "uploadLimit",
                          "uploadLimited",
                          "uploadRatio",
                          "wanted",
                          "webseeds",
                          "webseedsSendingToUs",
                          "seedRatioLimited",
                          "idle-seeding-limit",
                          "idle-seeding-limit-enabled",
                          "metainfo",
                          "filename",
                          "paused",
                          "ids",
                          "fields",
                          "path"}) {
      m.emplace(snake(n), n);
    }
    return m;
  }();
  return table;
}

std::string legacy_of(const std::string& name) {
  const auto& m = legacy_names();
  const auto it = m.find(name);
  return it == m.end() ? name : it->second;
}

// The keys of `v` (and its nested objects) renamed by `rename`.
template <class F>
json::value rename_keys(const json::value& v, const F& rename) {
  if (const auto* o = v.if_object()) {
    json::object out;
    for (const auto& [k, x] : *o) out[rename(std::string(k))] = rename_keys(x, rename);
    return out;
  }
  if (const auto* a = v.if_array()) {
    json::array out;
    for (const auto& x : *a) out.push_back(rename_keys(x, rename));
    return out;
  }
  return v;
}

// --- argument readers ----------------------------------------------------------------------

std::optional<bool> bool_arg(const json::object& args, const char* key) {
  const auto* v = args.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_bool()) return v->as_bool();
  if (v->is_int64()) return v->as_int64() != 0;
  if (v->is_uint64()) return v->as_uint64() != 0;
  return std::nullopt;
}

std::optional<double> number_arg(const json::object& args, const char* key) {
  const auto* v = args.if_contains(key);
  if (!v || !v->is_number()) return std::nullopt;
  const double d = v->to_number<double>();
  if (!std::isfinite(d) || d < 0 || d > 1e15) return std::nullopt;
  return d;
}

const json::string* string_arg(const json::object& args, const char* key) {
  const auto* v = args.if_contains(key);
  return v ? v->if_string() : nullptr;
}

std::string magnet_of(const std::string& hash, const std::string& name,
                      const std::vector<corrent::torrent::tier_report>& tiers) {
  std::string m = "magnet:?xt=urn:btih:" + hash;
  if (!name.empty()) {
    m += "&dn=";
    text::append_percent_encoded(m, name);
  }
  for (const auto& t : tiers) {
    for (const auto& u : t.urls) {
      m += "&tr=";
      text::append_percent_encoded(m, u);
    }
  }
  return m;
}

// "http://host:port" of a tracker URL (trackerStats' `host`).
std::string tracker_host(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const auto end = url.find('/', scheme + 3);
  return url.substr(0, end);
}

}  // namespace

transmission_rpc::transmission_rpc(daemon_api& api) : api_(api) {
  unsigned char raw[24];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    for (auto& b : raw) b = static_cast<unsigned char>(std::rand());
  }
  session_id_ = text::base64_encode(std::string_view(reinterpret_cast<char*>(raw), sizeof raw));
  for (char& c : session_id_) {
    if (c == '+' || c == '/') c = 'x';  // a header value without surprises
  }
}

transmission_rpc::~transmission_rpc() = default;

void transmission_rpc::on_removed(const std::string& info_hash) {
  ids_.on_removed(info_hash, static_cast<double>(unix_now()));
  extras_.erase(info_hash);
  active_at_.erase(info_hash);
}

boost::asio::awaitable<http_response> transmission_rpc::handle(const http_request& req) {
  // The CSRF handshake first (auth was checked before): a client without the current id
  // gets it in a 409 and sends the request again.
  if (req.header("x-transmission-session-id") != session_id_) {
    http_response r;
    r.status = 409;
    r.content_type = "text/html; charset=ISO-8859-1";
    r.headers["X-Transmission-Session-Id"] = session_id_;
    r.body =
        "<h1>409: Conflict</h1><p>Your request had an invalid session-id header.</p>"
        "<p>To fix this, follow these steps:<ol><li> When reading a response, get its "
        "X-Transmission-Session-Id header and remember it<li> Add the updated header to your "
        "outgoing requests<li> When you get this 409 error message, resend your request with "
        "the updated header</ol></p>";
    co_return r;
  }
  if (req.method != "POST") co_return json_error(405, "use POST");
  boost::system::error_code ec;
  json::value body = json::parse(req.body, ec);
  const json::object* top = ec ? nullptr : body.if_object();
  const bool jsonrpc = top && top->contains("jsonrpc");
  json::object reply;
  if (jsonrpc) {
    // Transmission 4.1's envelope: {"jsonrpc":"2.0","method":"torrent_get","params":{...},
    // "id":N}; the same calls with snake_case names.
    const auto* m = top->if_contains("method");
    const auto* params = top->if_contains("params");
    const json::value* id = top->if_contains("id");
    json::object args;
    if (params && params->is_object()) {
      args = rename_keys(*params, legacy_of).as_object();
      if (auto* f = args.if_contains("fields"); f && f->is_array()) {
        for (auto& x : f->as_array()) {
          if (x.is_string()) x = json::string(legacy_of(std::string(x.as_string())));
        }
      }
      if (auto* i = args.if_contains("ids");
          i && i->is_string() && i->as_string() == "recently_active")
        *i = "recently-active";
    }
    outcome out;
    if (!m || !m->is_string()) {
      out = fail("no method name");
    } else {
      out = co_await call(legacy_of(std::string(m->as_string())), args);
    }
    if (!id) {
      http_response r;
      r.status = 204;
      co_return r;
    }
    reply["jsonrpc"] = "2.0";
    if (out.result == "success") {
      reply["result"] = rename_keys(out.arguments, snake);
    } else {
      json::object err;
      err["code"] = out.result == "method name not recognized" ? -32601 : -32602;
      err["message"] = out.result;
      err["data"] = json::object{{"error_string", out.result}, {"result", out.result}};
      reply["error"] = std::move(err);
    }
    reply["id"] = *id;
  } else {
    outcome out;
    const json::value* tag = top ? top->if_contains("tag") : nullptr;
    const auto* m = top ? top->if_contains("method") : nullptr;
    if (!m || !m->is_string()) {
      out = fail("no method name");
    } else {
      json::object args;
      if (const auto* a = top->if_contains("arguments"); a && a->is_object()) args = a->as_object();
      out = co_await call(std::string(m->as_string()), args);
    }
    reply["arguments"] = std::move(out.arguments);
    reply["result"] = out.result;
    if (tag) reply["tag"] = *tag;
  }
  http_response r;
  r.content_type = "application/json; charset=UTF-8";
  r.body = json::serialize(reply);
  co_return r;
}

boost::asio::awaitable<outcome> transmission_rpc::call(const std::string& method,
                                                       const json::object& args) {
  if (method == "session-get") co_return session_get(args);
  if (method == "session-set") co_return session_set(args);
  if (method == "session-stats") co_return session_stats();
  if (method == "torrent-add") co_return torrent_add(args);
  if (method == "torrent-get") co_return torrent_get(args);
  if (method == "torrent-set") co_return torrent_set(args);
  if (method == "free-space") co_return free_space(args);
  if (method == "torrent-start" || method == "torrent-start-now" || method == "torrent-stop" ||
      method == "torrent-verify" || method == "torrent-reannounce" || method == "torrent-remove" ||
      method.rfind("queue-move-", 0) == 0) {
    co_return co_await torrent_action(method, args);
  }
  if (method == "port-test") {
    co_return fail("port testing is not supported (it would ask a server on the Internet)");
  }
  co_return fail("method name not recognized");
}

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

// --- adding -------------------------------------------------------------------------------

outcome transmission_rpc::torrent_add(const json::object& args) {
  const bool paused = bool_arg(args, "paused").value_or(false);
  std::string save;
  if (const auto* d = string_arg(args, "download-dir")) {
    save = std::string(*d);
    if (!daemon::resolve_save_path(api_.download_dir().string(), save)) {
      return fail("download-dir must be inside the daemon's download directory " +
                  api_.download_dir().string());
    }
  }
  std::string kind = "torrent", payload;
  if (const auto* m = string_arg(args, "metainfo")) {
    auto bytes = text::base64_decode(std::string_view(m->data(), m->size()));
    if (!bytes) return fail("invalid or corrupt torrent file");
    payload = std::move(*bytes);
  } else if (const auto* f = string_arg(args, "filename")) {
    const std::string name(*f);
    if (metainfo::is_magnet(name)) {
      kind = "magnet";
      payload = name;
    } else if (name.rfind("http://", 0) == 0 || name.rfind("https://", 0) == 0) {
      return fail("adding a torrent by URL is not supported: send its contents (metainfo)");
    } else if (auto r = api_.read_path(name, payload); r.status) {
      return fail(r.status == 404 ? "invalid or corrupt torrent file" : r.error);
    }
  } else {
    return fail("no filename or metainfo specified");
  }
  const auto r = api_.add_torrent(kind, payload, save, paused);
  if (r.status != 201 && r.status != 409) {
    return fail(r.status == 400 && save.empty() ? "invalid or corrupt torrent file" : r.error);
  }
  outcome out;
  json::object t;
  t["hashString"] = r.id;
  t["id"] = ids_.id_of(r.id);
  t["name"] = r.name;
  out.arguments[r.status == 201 ? "torrent-added" : "torrent-duplicate"] = std::move(t);
  return out;
}

// --- selecting ---------------------------------------------------------------------------------

std::optional<std::vector<std::string>> transmission_rpc::select(const json::object& args,
                                                                 std::string& why,
                                                                 bool& recently_active) {
  tr::id_selection sel;
  recently_active = false;
  const json::value* v = args.if_contains("ids");
  const auto add_one = [&](const json::value& x) -> bool {
    if (x.is_int64() || x.is_uint64()) {
      sel.ids.push_back(x.to_number<std::int64_t>());
      return true;
    }
    if (x.is_double() && std::floor(x.as_double()) == x.as_double()) {
      sel.ids.push_back(static_cast<std::int64_t>(x.as_double()));
      return true;
    }
    if (x.is_string()) {
      std::string h(x.as_string());
      for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      sel.hashes.push_back(std::move(h));
      return true;
    }
    return false;
  };
  if (!v) {
    sel.all = true;
  } else if (v->is_string() && v->as_string() == "recently-active") {
    sel.all = true;
    recently_active = true;
  } else if (const auto* a = v->if_array()) {
    for (const auto& x : *a) {
      if (!add_one(x)) {
        why = "ids must be numbers or hash strings";
        return std::nullopt;
      }
    }
  } else if (!add_one(*v)) {
    why = "ids must be numbers or hash strings";
    return std::nullopt;
  }
  const double now = static_cast<double>(unix_now());
  std::vector<std::string> out;
  for (const auto& e : api_.saved().torrents) {
    const auto id = ids_.id_of(e.info_hash);  // in the order added: 1, 2, ...
    if (!sel.selects(id, e.info_hash)) continue;
    if (recently_active) {
      const auto it = active_at_.find(e.info_hash);
      const bool active = static_cast<double>(e.added_at) >= now - tr::recently_active_s ||
                          (it != active_at_.end() &&
                           static_cast<double>(it->second) >= now - tr::recently_active_s);
      if (!active) {
        // Moving data now counts too.
        const auto d = crypto::sha1_from_hex(e.info_hash);
        const auto t = d ? api_.sess().find(*d) : nullptr;
        const auto f = t ? t->figures() : torrent_figures{};
        if (f.down_rate < 1 && f.up_rate < 1) continue;
      }
    }
    out.push_back(e.info_hash);
  }
  return out;
}

// --- actions -----------------------------------------------------------------------------------

boost::asio::awaitable<outcome> transmission_rpc::torrent_action(const std::string& method,
                                                                 const json::object& args) {
  std::string why;
  bool recent = false;
  const auto sel = select(args, why, recent);
  if (!sel) co_return fail(why);
  if (method.rfind("queue-move-", 0) == 0 || method == "torrent-reannounce") {
    co_return outcome{};  // no queue: every torrent runs; announces follow their schedule
  }
  const bool delete_data = bool_arg(args, "delete-local-data").value_or(false);
  for (const auto& id : *sel) {
    const auto digest = crypto::sha1_from_hex(id);
    if (!digest) continue;
    if (method == "torrent-remove") {
      co_await api_.remove_torrent(id, delete_data);
    } else if (method == "torrent-stop") {
      co_await api_.set_paused(id, true);
    } else if (method == "torrent-verify") {
      const auto t = api_.sess().find(*digest);
      if (t && t->info()) api_.sess().spawn_recheck(*digest);
    } else {
      co_await api_.set_paused(id, false);
    }
  }
  co_return outcome{};
}

outcome transmission_rpc::torrent_set(const json::object& args) {
  std::string why;
  bool recent = false;
  const auto sel = select(args, why, recent);
  if (!sel) return fail(why);
  for (const char* k :
       {"files-wanted", "files-unwanted", "priority-high", "priority-low", "priority-normal"}) {
    if (const auto* v = args.if_contains(k); v && v->is_array() && !v->as_array().empty()) {
      return fail("file selection and priorities are not supported yet");
    }
  }
  for (const auto& id : *sel) {
    auto* e = api_.entry_of(id);
    if (!e) continue;
    const auto digest = crypto::sha1_from_hex(id);
    const auto t = digest ? api_.sess().find(*digest) : nullptr;
    const auto rate = [&](const char* value, const char* limited, std::int64_t& out) -> bool {
      const auto v = number_arg(args, value);
      if (args.contains(value) && !v) return false;
      if (v && (out > 0 || bool_arg(args, limited).value_or(false)))
        out = static_cast<std::int64_t>(*v) * kilo;
      if (const auto on = bool_arg(args, limited)) {
        if (!*on) out = 0;
        if (*on && v) out = static_cast<std::int64_t>(*v) * kilo;
      }
      return true;
    };
    if (!rate("downloadLimit", "downloadLimited", e->max_download_rate) ||
        !rate("uploadLimit", "uploadLimited", e->max_upload_rate)) {
      return fail("limits must be numbers from 0 up (kB/s)");
    }
    // seedRatioMode: 0 the session's (none here), 1 this torrent's, 2 unlimited.
    const auto ratio = number_arg(args, "seedRatioLimit");
    const auto ratio_mode = number_arg(args, "seedRatioMode");
    if (ratio && (!ratio_mode || *ratio_mode == 1)) {
      e->seed_ratio_milli = static_cast<std::int64_t>(*ratio * 1000 + 0.5);
    }
    if (ratio_mode && *ratio_mode != 1) e->seed_ratio_milli = 0;
    if (ratio_mode) e->no_ratio_limit = *ratio_mode == 2;
    // seedIdleLimit (minutes): corrent stops seeding after that long (seed time).
    const auto idle = number_arg(args, "seedIdleLimit");
    const auto idle_mode = number_arg(args, "seedIdleMode");
    if (idle && (!idle_mode || *idle_mode == 1)) {
      e->seed_time_s = static_cast<std::int64_t>(*idle * 60);
    }
    if (idle_mode && *idle_mode != 1) e->seed_time_s = 0;
    if (idle_mode) e->no_time_limit = *idle_mode == 2;
    api_.apply_limits(*e, t.get());
  }
  return {};
}

// --- torrent-get -------------------------------------------------------------------------------

const transmission_rpc::extras& transmission_rpc::extras_of(const std::string& info_hash) {
  auto& slot = extras_[info_hash];
  if (!slot) {
    slot = std::make_shared<extras>();
    if (auto bytes = api_.store().load_metainfo(info_hash)) {
      metainfo::parse_limits limits;
      if (auto t = metainfo::parse_torrent(*bytes, limits)) {
        slot->comment = t->comment;
        slot->creator = t->created_by;
        slot->date_created = t->creation_date.value_or(0);
      }
    }
  }
  return *slot;
}

outcome transmission_rpc::torrent_get(const json::object& args) {
  const auto* f = args.if_contains("fields");
  if (!f || !f->is_array()) return fail("no fields specified");
  std::vector<std::string> fields;
  for (const auto& x : f->as_array()) {
    if (x.is_string()) fields.emplace_back(x.as_string());
  }
  std::string why;
  bool recent = false;
  const auto sel = select(args, why, recent);
  if (!sel) return fail(why);
  const std::int64_t now = unix_now();
  const double clock = api_.sess().now();
  // One arena for the reply: thousands of torrents.
  const auto sp = json::make_shared_resource<json::monotonic_resource>();
  json::array torrents(sp);
  for (const auto& hash : *sel) {
    const auto* e = api_.entry_of(hash);
    const auto [t, s] = api_.find_with_status(hash);
    const auto* info = t ? t->info() : nullptr;
    const std::int64_t id = ids_.id_of(hash);
    const std::int64_t left = s.bytes_total - s.bytes_done;
    if (s.down_rate >= 1 || s.up_rate >= 1) active_at_[hash] = now;
    std::optional<std::vector<live_peer>> peers;
    const auto live = [&]() -> const std::vector<live_peer>& {
      if (!peers) peers = t ? t->live_peers() : std::vector<live_peer>{};
      return *peers;
    };
    std::optional<std::vector<corrent::torrent::tier_report>> tiers;
    const auto trackers = [&]() -> const std::vector<corrent::torrent::tier_report>& {
      if (!tiers) tiers = t ? t->trackers() : std::vector<corrent::torrent::tier_report>{};
      return *tiers;
    };
    const auto to_unix = [&](double logic_time) {
      return logic_time <= 0 ? std::int64_t{0}
                             : now - static_cast<std::int64_t>(std::llround(clock - logic_time));
    };
    const std::string state = state_name(s.state);
    const bool downloading =
        s.state == torrent_state::downloading || s.state == torrent_state::fetching_metadata;
    json::object o(sp);
    o.reserve(fields.size());
    for (const auto& name : fields) {
      if (name == "id") {
        o["id"] = id;
      } else if (name == "name") {
        o["name"] = s.name;
      } else if (name == "hashString") {
        o["hashString"] = hash;
      } else if (name == "status") {
        o["status"] = static_cast<int>(tr::status_of(state));
      } else if (name == "error") {
        o["error"] = s.error.empty() ? 0 : 3;
      } else if (name == "errorString") {
        o["errorString"] = s.error;
      } else if (name == "eta") {
        o["eta"] = s.bytes_total == 0 && downloading ? std::int64_t{-2}
                                                     : tr::eta(left, s.down_rate, downloading);
      } else if (name == "isFinished") {
        o["isFinished"] = s.state == torrent_state::finished;
      } else if (name == "isStalled") {
        o["isStalled"] = false;
      } else if (name == "leftUntilDone") {
        o["leftUntilDone"] = left;
      } else if (name == "sizeWhenDone" || name == "totalSize") {
        o[name] = s.bytes_total;
      } else if (name == "haveValid") {
        o["haveValid"] = s.bytes_done;
      } else if (name == "haveUnchecked" || name == "bandwidthPriority" ||
                 name == "webseedsSendingToUs" || name == "recheckProgress") {
        o[name] = 0;
      } else if (name == "percentDone") {
        o["percentDone"] = progress(s.bytes_done, s.bytes_total);
      } else if (name == "metadataPercentComplete") {
        o[name] = info ? 1.0
                       : progress(s.metadata_pieces_done,
                                  std::max<std::int64_t>(1, s.metadata_pieces_total));
      } else if (name == "rateDownload") {
        o[name] = static_cast<std::int64_t>(s.down_rate);
      } else if (name == "rateUpload") {
        o[name] = static_cast<std::int64_t>(s.up_rate);
      } else if (name == "uploadRatio") {
        o[name] = tr::ratio(s.uploaded_total, s.downloaded_total, s.bytes_done);
      } else if (name == "uploadedEver") {
        o[name] = s.uploaded_total;
      } else if (name == "downloadedEver") {
        o[name] = s.downloaded_total;
      } else if (name == "corruptEver") {
        o[name] = s.hash_failures * (info ? info->piece_length : 0);
      } else if (name == "desiredAvailable") {
        o[name] = s.peers_connected > 0 ? left : 0;
      } else if (name == "peersConnected") {
        o[name] = s.peers_connected;
      } else if (name == "peersGettingFromUs" || name == "peersSendingToUs") {
        const bool up = name == "peersGettingFromUs";
        int n = 0;
        for (const auto& p : live()) n += (up ? p.up_rate : p.down_rate) >= 1 ? 1 : 0;
        o[name] = n;
      } else if (name == "peersFrom") {
        std::array<int, swarm::peer_source_count> by{};
        for (const auto& p : live()) ++by[static_cast<std::size_t>(p.source)];
        const auto of = [&](swarm::peer_source src) { return by[static_cast<std::size_t>(src)]; };
        o[name] = json::object{
            {"fromCache", 0},
            {"fromDht", of(swarm::peer_source::dht)},
            {"fromIncoming", of(swarm::peer_source::incoming)},
            {"fromLpd", 0},
            {"fromLtep", 0},
            {"fromPex", of(swarm::peer_source::pex)},
            {"fromTracker", of(swarm::peer_source::tracker) + of(swarm::peer_source::manual)}};
      } else if (name == "peers") {
        json::array a;
        for (const auto& p : live()) {
          tr::peer_flags fl;
          fl.am_interested = p.am_interested;
          fl.peer_choking = p.peer_choking;
          fl.peer_interested = p.peer_interested;
          fl.am_choking = p.am_choking;
          fl.encrypted = p.encrypted;
          fl.incoming = p.incoming;
          fl.from_pex = p.source == swarm::peer_source::pex;
          fl.from_dht = p.source == swarm::peer_source::dht;
          a.push_back(json::object{{"address", p.address},
                                   {"clientIsChoked", p.am_choking},
                                   {"clientIsInterested", p.am_interested},
                                   {"clientName", p.client},
                                   {"flagStr", tr::flag_str(fl)},
                                   {"isDownloadingFrom", p.down_rate >= 1},
                                   {"isEncrypted", p.encrypted},
                                   {"isIncoming", p.incoming},
                                   {"isUTP", false},
                                   {"isUploadingTo", p.up_rate >= 1},
                                   {"peerIsChoked", p.peer_choking},
                                   {"peerIsInterested", p.peer_interested},
                                   {"port", p.port},
                                   {"progress", p.progress},
                                   {"rateToClient", static_cast<std::int64_t>(p.down_rate)},
                                   {"rateToPeer", static_cast<std::int64_t>(p.up_rate)}});
        }
        o[name] = std::move(a);
      } else if (name == "addedDate") {
        o[name] = e ? e->added_at : 0;
      } else if (name == "doneDate") {
        o[name] = e ? e->completed_at : 0;
      } else if (name == "activityDate") {
        // 0 until it moved data or completed, as in Transmission.
        const auto it = active_at_.find(hash);
        std::int64_t a = 0;
        if (it != active_at_.end()) a = std::max(a, it->second);
        if (e) a = std::max(a, e->completed_at);
        o[name] = a;
      } else if (name == "startDate") {
        o[name] = s.elapsed_s > 0 ? now - static_cast<std::int64_t>(s.elapsed_s) : 0;
      } else if (name == "secondsDownloading") {
        o[name] = s.downloaded_total - s.downloaded_carried > 0
                      ? static_cast<std::int64_t>(std::max(0.0, s.elapsed_s - s.seeding_s))
                      : 0;
      } else if (name == "secondsSeeding") {
        o[name] = static_cast<std::int64_t>(s.seeding_s);
      } else if (name == "dateCreated") {
        o[name] = info ? extras_of(hash).date_created : 0;
      } else if (name == "comment") {
        o[name] = info ? extras_of(hash).comment : std::string();
      } else if (name == "creator") {
        o[name] = info ? extras_of(hash).creator : std::string();
      } else if (name == "downloadDir") {
        o[name] = e ? e->save_path : std::string();
      } else if (name == "downloadLimit") {
        o[name] = e ? e->max_download_rate / kilo : 0;
      } else if (name == "downloadLimited") {
        o[name] = e && e->max_download_rate > 0;
      } else if (name == "uploadLimit") {
        o[name] = e ? e->max_upload_rate / kilo : 0;
      } else if (name == "uploadLimited") {
        o[name] = e && e->max_upload_rate > 0;
      } else if (name == "honorsSessionLimits") {
        o[name] = true;
      } else if (name == "seedRatioLimit") {
        o[name] =
            e && e->seed_ratio_milli > 0 ? static_cast<double>(e->seed_ratio_milli) / 1000 : 2.0;
      } else if (name == "seedRatioMode") {
        o[name] = !e ? 0 : e->seed_ratio_milli > 0 ? 1 : e->no_ratio_limit ? 2 : 0;
      } else if (name == "seedIdleLimit") {
        o[name] = e && e->seed_time_s > 0 ? e->seed_time_s / 60 : 30;
      } else if (name == "seedIdleMode") {
        o[name] = !e ? 0 : e->seed_time_s > 0 ? 1 : e->no_time_limit ? 2 : 0;
      } else if (name == "isPrivate") {
        o[name] = info && info->is_private;
      } else if (name == "labels" || name == "webseeds") {
        o[name] = json::array{};
      } else if (name == "magnetLink") {
        o[name] = magnet_of(hash, s.name, trackers());
      } else if (name == "peer-limit") {
        o[name] = api_.sess().options().max_peers;
      } else if (name == "pieceCount") {
        o[name] = s.pieces_total;
      } else if (name == "pieceSize") {
        o[name] = info ? info->piece_length : 0;
      } else if (name == "pieces") {
        o[name] = t ? text::base64_encode(t->have().to_wire()) : std::string();
      } else if (name == "queuePosition") {
        o[name] = id - 1;
      } else if (name == "fileCount") {
        std::int64_t n = 0;
        if (info) {
          for (const auto& fe : info->files) n += fe.pad ? 0 : 1;
        }
        o[name] = n;
      } else if (name == "files" || name == "fileStats" || name == "priorities" ||
                 name == "wanted") {
        json::array a;
        if (info) {
          const auto done = swarm::file_bytes_done(*info, t->have());
          for (std::size_t i = 0; i < info->files.size(); ++i) {
            const auto& fe = info->files[i];
            if (fe.pad) continue;
            if (name == "files") {
              // The path names the torrent's directory already ("name/dir/file").
              a.push_back(json::object{
                  {"bytesCompleted", done[i]}, {"length", fe.length}, {"name", fe.path}});
            } else if (name == "fileStats") {
              a.push_back(
                  json::object{{"bytesCompleted", done[i]}, {"priority", 0}, {"wanted", true}});
            } else {
              a.push_back(name == "wanted" ? 1 : 0);
            }
          }
        }
        o[name] = std::move(a);
      } else if (name == "trackers" || name == "trackerStats") {
        json::array a;
        std::int64_t tid = 0;
        const auto& tiers_now = trackers();
        for (std::size_t tier = 0; tier < tiers_now.size(); ++tier) {
          const auto& tt = tiers_now[tier];
          for (std::size_t u = 0; u < tt.urls.size(); ++u, ++tid) {
            const auto& url = tt.urls[u];
            if (name == "trackers") {
              a.push_back(json::object{{"announce", url},
                                       {"id", tid},
                                       {"scrape", ""},
                                       {"tier", static_cast<std::int64_t>(tier)}});
              continue;
            }
            const bool active = u == 0;
            json::object ts;
            ts["announce"] = url;
            ts["announceState"] = !active ? 0 : tt.in_flight ? 3 : 1;
            ts["downloadCount"] = -1;
            ts["hasAnnounced"] = active && tt.announced;
            // No scrapes: the swarm counts come with each announce's answer, and are
            // reported as the scrape's (Transmission prints them from there).
            const bool counted = active && tt.counts_at > 0;
            ts["hasScraped"] = counted;
            ts["host"] = tracker_host(url);
            ts["id"] = tid;
            ts["isBackup"] = !active;
            ts["lastAnnouncePeerCount"] = active ? tt.last_peers : 0;
            ts["lastAnnounceResult"] = !active || !tt.announced ? ""
                                       : tt.ok                  ? "Success"
                                                                : "Could not connect to tracker";
            ts["lastAnnounceStartTime"] = active ? to_unix(tt.last_round_at) : 0;
            ts["lastAnnounceSucceeded"] = active && tt.announced && tt.ok;
            ts["lastAnnounceTime"] = active ? to_unix(tt.last_round_at) : 0;
            ts["lastAnnounceTimedOut"] = false;
            ts["lastScrapeResult"] = "";
            ts["lastScrapeStartTime"] = counted ? to_unix(tt.counts_at) : 0;
            ts["lastScrapeSucceeded"] = counted;
            ts["lastScrapeTime"] = counted ? to_unix(tt.counts_at) : 0;
            ts["lastScrapeTimedOut"] = 0;
            ts["leecherCount"] = counted ? tt.leechers : -1;
            ts["nextAnnounceTime"] = active && tt.announced ? to_unix(tt.next_round_at) : 0;
            ts["nextScrapeTime"] = counted ? to_unix(tt.next_round_at) : 0;
            ts["scrape"] = "";
            ts["scrapeState"] = counted ? 1 : 0;
            ts["seederCount"] = counted ? tt.seeders : -1;
            ts["tier"] = static_cast<std::int64_t>(tier);
            a.push_back(std::move(ts));
          }
        }
        o[name] = std::move(a);
      }
      // Other names are left out, as 3.00 leaves out what it does not know.
    }
    torrents.push_back(std::move(o));
  }
  outcome out;
  out.arguments["torrents"] = std::move(torrents);
  if (recent) {
    json::array removed;
    for (const auto id : ids_.removed_since(static_cast<double>(now) - tr::recently_active_s))
      removed.push_back(id);
    out.arguments["removed"] = std::move(removed);
  }
  return out;
}

}  // namespace corrent::io
