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
#include "io/rpc/json_text.hpp"
#include "io/torrent/torrent.hpp"

namespace corrent::io {
namespace json = boost::json;
namespace tr = daemon::transmission;
using namespace trpc_detail;

namespace {

using outcome = transmission_rpc::outcome;
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
  r.body = json_text(reply);
  co_return r;
}

boost::asio::awaitable<outcome> transmission_rpc::call(const std::string& method,
                                                       const json::object& args) {
  if (method == "session-get") co_return session_get(args);
  if (method == "session-set") co_return session_set(args);
  if (method == "session-stats") co_return session_stats();
  if (method == "torrent-add") co_return co_await torrent_add(args);
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

// --- adding -------------------------------------------------------------------------------

boost::asio::awaitable<outcome> transmission_rpc::torrent_add(json::object args) {
  const bool paused = bool_arg(args, "paused").value_or(false);
  std::string save;
  if (const auto* d = string_arg(args, "download-dir")) {
    save = std::string(*d);
    if (!daemon::resolve_save_path(api_.download_dir().string(), save)) {
      co_return fail("download-dir must be inside the daemon's download directory " +
                     api_.download_dir().string());
    }
  }
  std::string kind = "torrent", payload;
  if (const auto* m = string_arg(args, "metainfo")) {
    auto bytes = text::base64_decode(std::string_view(m->data(), m->size()));
    if (!bytes) co_return fail("invalid or corrupt torrent file");
    payload = std::move(*bytes);
  } else if (const auto* f = string_arg(args, "filename")) {
    const std::string name(*f);
    if (metainfo::is_magnet(name)) {
      kind = "magnet";
      payload = name;
    } else if (daemon_api::is_web_url(name)) {
      auto f = co_await api_.fetch_url(name);
      if (f.status) co_return fail(f.error);
      kind = std::move(f.kind);
      payload = std::move(f.payload);
    } else if (auto r = api_.read_path(name, payload); r.status) {
      co_return fail(r.status == 404 ? "invalid or corrupt torrent file" : r.error);
    }
  } else {
    co_return fail("no filename or metainfo specified");
  }
  const auto r = api_.add_torrent(kind, payload, save, paused);
  if (r.status != 201 && r.status != 409) {
    co_return fail(r.status == 400 && save.empty() ? "invalid or corrupt torrent file" : r.error);
  }
  outcome out;
  json::object t;
  t["hashString"] = r.id;
  t["id"] = ids_.id_of(r.id);
  t["name"] = r.name;
  out.arguments[r.status == 201 ? "torrent-added" : "torrent-duplicate"] = std::move(t);
  co_return out;
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

}  // namespace corrent::io
