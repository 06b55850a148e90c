#include "io/daemon/daemon_api.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <cctype>
#include <cmath>
#include <ctime>
#include <initializer_list>
#include <unordered_map>

#include "core/daemon/api_rules.hpp"
#include "core/metainfo/magnet.hpp"
#include "core/metainfo/parse.hpp"
#include "core/swarm/file_progress.hpp"
#include "core/text/base64.hpp"
#include "core/text/printable.hpp"
#include "io/daemon/api_json.hpp"
#include "io/daemon/qbittorrent_api.hpp"
#include "io/daemon/transmission_rpc.hpp"
#include "io/rpc/json_text.hpp"
#include "io/rpc/web_ui.hpp"
#include "io/storage/safe_path.hpp"
#include "io/storage/whole_file.hpp"

namespace corrent::io {
namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace json = boost::json;

daemon_api::daemon_api(session& s, state_store& store, fs::path download_dir,
                       torrent_options defaults)
    : session_(s),
      store_(store),
      download_dir_(std::move(download_dir)),
      defaults_(std::move(defaults)),
      ex_(s.executor()),
      trpc_(std::make_unique<transmission_rpc>(*this)),
      qbt_(std::make_unique<qbittorrent_api>(*this)) {}

daemon_api::~daemon_api() = default;

// --- the list -----------------------------------------------------------------------

daemon::torrent_entry* daemon_api::entry_of(const std::string& id) {
  // An index by info-hash (the compatible APIs look up every torrent of thousands per
  // request), dropped wherever an entry is added or removed, and rebuilt here.
  auto& all = state_.torrents;
  if (entry_index_.empty() && !all.empty()) {
    for (std::size_t i = 0; i < all.size(); ++i) entry_index_[all[i].info_hash] = i;
  }
  const auto it = entry_index_.find(id);
  if (it == entry_index_.end() || it->second >= all.size() || all[it->second].info_hash != id) {
    return nullptr;
  }
  return &all[it->second];
}

std::pair<std::shared_ptr<torrent>, torrent_status> daemon_api::find_with_status(
    const std::string& id) {
  const auto digest = crypto::sha1_from_hex(id);
  auto t = digest ? session_.find(*digest) : nullptr;
  torrent_status s;
  if (t) {
    s = t->status();
  } else {
    s.name = id;
    s.info_hash = id;
    s.state = torrent_state::error;
    s.error = "not running (see the daemon's log)";
  }
  return {std::move(t), std::move(s)};
}

void daemon_api::save_list() {
  if (auto r = store_.save(state_); !r) {
    spdlog::error("cannot save the torrent list: {}", r.error().message());
  }
}

void daemon_api::restore(daemon::saved_state saved) {
  state_ = std::move(saved);
  entry_index_.clear();
  session_.set_rate_limits(static_cast<double>(state_.max_download_rate),
                           static_cast<double>(state_.max_upload_rate));
  for (const auto& e : state_.torrents) {
    added a;
    if (!e.magnet.empty()) {
      auto r = parse_add("magnet", e.magnet);
      if (!r) {
        spdlog::error("saved torrent {}: {}", e.info_hash, r.error().message());
        continue;
      }
      a = std::move(*r);
    } else {
      auto b = store_.load_metainfo(e.info_hash);
      if (!b) {
        spdlog::error("saved torrent {}: {}: {}", e.info_hash,
                      store_.metainfo_path(e.info_hash).string(), b.error().message());
        continue;
      }
      auto r = parse_add("torrent", *b);
      if (!r) {
        spdlog::error("saved torrent {}: {}", e.info_hash, r.error().message());
        continue;
      }
      a = std::move(*r);
    }
    if (crypto::to_hex(a.params.info_hash) != e.info_hash) {
      spdlog::error("saved torrent {}: its metainfo is another torrent's ({}): not started",
                    e.info_hash, crypto::to_hex(a.params.info_hash));
      continue;
    }
    if (auto t = start(e, a); !t) {
      spdlog::error("saved torrent {}: {}", e.info_hash, t.error().message());
    }
  }
}

// --- adding ---------------------------------------------------------------------------

result<daemon_api::added> daemon_api::parse_add(const std::string& kind,
                                                const std::string& payload) {
  added a;
  if (kind == "magnet") {
    auto m = metainfo::parse_magnet(payload);
    if (!m) return m.error();
    a.params = std::move(*m);
    if (a.params.name.empty()) a.params.name = crypto::to_hex(a.params.info_hash);
    return a;
  }
  metainfo::parse_limits limits;
  auto t = metainfo::parse_torrent(payload, limits);
  if (!t) return t.error();
  if (t->piece_length > max_download_piece_length) {
    return error{make_error_code(boost::system::errc::value_too_large),
                 "piece length " + std::to_string(t->piece_length) + " is above the " +
                     std::to_string(max_download_piece_length) + " bytes corrent downloads"};
  }
  a.metainfo = std::make_shared<const metainfo::torrent>(std::move(*t));
  a.params = a.metainfo->to_add_params();
  return a;
}

result<std::shared_ptr<torrent>> daemon_api::start(const daemon::torrent_entry& entry,
                                                   const added& a) {
  torrent_options o = defaults_;
  o.output_dir = entry.save_path;
  o.start_paused = entry.paused;
  o.max_download_rate = static_cast<double>(entry.max_download_rate);
  o.max_upload_rate = static_cast<double>(entry.max_upload_rate);
  o.seed_ratio = static_cast<double>(entry.seed_ratio_milli) / 1000.0;
  o.seed_time_s = static_cast<double>(entry.seed_time_s);
  o.resume_file = store_.resume_file_path(entry.info_hash);
  std::shared_ptr<const metainfo::info> info;
  if (a.metainfo) info = std::shared_ptr<const metainfo::info>(a.metainfo, a.metainfo.get());
  return session_.add(a.params, std::move(info), std::move(o));
}

asio::awaitable<http_response> daemon_api::add(http_request req) {
  const std::string type = req.header("content-type");
  std::string kind, payload, save, paused;
  if (type.rfind("application/x-bittorrent", 0) == 0) {
    kind = "torrent";
    payload = req.body;
    if (auto it = req.query.find("save_path"); it != req.query.end()) save = it->second;
    if (auto it = req.query.find("paused"); it != req.query.end()) paused = it->second;
  } else if (type.rfind("application/json", 0) == 0) {
    boost::system::error_code ec;
    json::value v = json::parse(req.body, ec);
    if (ec || !v.is_object()) co_return json_error(400, "the body is not a JSON object");
    const auto& o = v.as_object();
    auto str = [&](const char* k) -> const json::string* {
      const auto* f = o.if_contains(k);
      return f && f->is_string() ? &f->as_string() : nullptr;
    };
    for (const char* k : {"uri", "path", "metainfo", "save_path"}) {
      if (o.contains(k) && !str(k)) co_return json_error(400, std::string(k) + " must be a string");
    }
    if (const auto* p = o.if_contains("paused")) {
      if (!p->is_bool()) co_return json_error(400, "paused must be true or false");
      paused = p->as_bool() ? "true" : "false";
    }
    if (auto* s = str("save_path")) save = std::string(*s);
    const int given = (str("uri") ? 1 : 0) + (str("path") ? 1 : 0) + (str("metainfo") ? 1 : 0);
    if (given != 1) co_return json_error(400, "give exactly one of uri, path and metainfo");
    if (auto* u = str("uri")) {
      kind = "magnet";
      payload = std::string(*u);
      if (is_web_url(payload)) {
        auto f = co_await fetch_url(payload);
        if (f.status) co_return json_error(f.status, f.error);
        kind = std::move(f.kind);
        payload = std::move(f.payload);
      } else if (!metainfo::is_magnet(payload)) {
        co_return json_error(400, "uri is neither a magnet link nor an http(s) URL");
      }
    } else if (auto* m = str("metainfo")) {
      kind = "torrent";
      const std::string_view b64(m->data(), m->size());
      auto bytes =
          b64.size() > 4 * (max_torrent_bytes / 3 + 4) ? std::nullopt : text::base64_decode(b64);
      if (!bytes) co_return json_error(400, "metainfo is not base64");
      payload = std::move(*bytes);
    } else {
      kind = "torrent";
      if (auto r = read_path(std::string(*str("path")), payload); r.status) {
        co_return json_error(r.status, r.error);
      }
    }
  } else {
    co_return json_error(415, "send application/x-bittorrent or application/json");
  }
  if (!paused.empty() && paused != "true" && paused != "false" && paused != "1" && paused != "0") {
    co_return json_error(400, "paused must be true or false");
  }
  co_return add_payload(kind, payload, save, is_true(paused));
}

daemon_api::add_outcome daemon_api::read_path(const std::string& asked, std::string& bytes) const {
  // A file on the daemon's machine: only inside the download directory.
  if (!daemon::is_inside(download_dir_.string(), asked)) {
    return {400, "path must be a file inside the download directory", {}, {}};
  }
  const fs::path p = fs::path(asked).lexically_normal();
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return {404, "no such file: " + asked, {}, {}};
  // Not through a symbolic link (one planted in the download directory could lead to any
  // file on the machine).
  if (!exists_without_links(download_dir_, p.lexically_relative(download_dir_))) {
    return {400, "path must not go through a symbolic link", {}, {}};
  }
  auto read = read_whole_file(p, max_torrent_bytes);
  if (!read) return {400, asked + ": " + read.error().message(), {}, {}};
  bytes = std::move(*read);
  return {};
}

http_response daemon_api::add_payload(const std::string& kind, const std::string& payload,
                                      const std::string& save, bool paused) {
  const auto r = add_torrent(kind, payload, save, paused);
  if (r.status == 201) {
    const auto* e = entry_of(r.id);
    const auto t = session_.find(*crypto::sha1_from_hex(r.id));
    return json_reply(201, torrent_json(t->status(), e));
  }
  if (r.status == 409) {
    json::object o;
    o["error"] = r.error;
    o["id"] = r.id;
    return json_reply(409, o);
  }
  return json_error(r.status, r.error);
}

daemon_api::add_outcome daemon_api::add_torrent(const std::string& kind, const std::string& payload,
                                                const std::string& save, bool paused) {
  auto a = parse_add(kind, payload);
  if (!a) return {400, text::printable(a.error().message()), {}, {}};
  const std::string id = crypto::to_hex(a->params.info_hash);
  if (session_.find(a->params.info_hash) || entry_of(id)) {
    const auto t = session_.find(a->params.info_hash);
    return {409, "torrent " + id + " is already there", id, t ? t->name() : std::string()};
  }
  const auto resolved = daemon::resolve_save_path(download_dir_.string(), save);
  if (!resolved) {
    return {
        400, "save_path must be inside the download directory " + download_dir_.string(), {}, {}};
  }
  const fs::path save_path(*resolved);
  std::error_code ec;
  fs::create_directories(save_path, ec);
  if (ec) return {500, "cannot create " + save_path.string() + ": " + ec.message(), {}, {}};
  daemon::torrent_entry e;
  e.info_hash = id;
  e.save_path = save_path.string();
  e.added_at = unix_now();
  e.paused = paused;
  if (kind == "magnet") e.magnet = payload;
  // The metainfo and the list are on disk before the torrent starts: a crash from here on
  // finds it again.
  if (kind == "torrent") {
    if (auto w = store_.save_metainfo(id, payload); !w) {
      return {500, "cannot save the metainfo: " + w.error().message(), {}, {}};
    }
  }
  state_.torrents.push_back(e);
  entry_index_.clear();
  save_list();
  auto t = start(e, *a);
  if (!t) {
    state_.torrents.pop_back();
    entry_index_.clear();
    save_list();
    store_.remove_metainfo(id);
    return {400, t.error().message(), {}, {}};
  }
  json::object ev;
  ev["id"] = id;
  ev["name"] = (*t)->name();
  push_event("added", json_text(ev));
  return {201, {}, id, (*t)->name()};
}

asio::awaitable<void> daemon_api::remove_torrent(std::string id, bool delete_data) {
  const auto digest = crypto::sha1_from_hex(id);
  if (!digest) co_return;
  if (session_.find(*digest)) co_await session_.remove(*digest, delete_data);
  std::erase_if(state_.torrents, [&](const auto& x) { return x.info_hash == id; });
  entry_index_.clear();
  save_list();
  store_.remove_metainfo(id);
  last_stats_.erase(*digest);
  trpc_->on_removed(id);
  json::object ev;
  ev["id"] = id;
  push_event("removed", json_text(ev));
}

// --- one torrent ------------------------------------------------------------------------

asio::awaitable<http_response> daemon_api::on_torrent(const http_request& req, std::string id,
                                                      std::string action) {
  auto digest = crypto::sha1_from_hex(id);
  auto* e = entry_of(id);
  auto t = digest ? session_.find(*digest) : nullptr;
  if (!digest || !daemon::is_info_hash_hex(id) || (!e && !t)) {
    co_return json_error(404, "no torrent " + text::printable(id.substr(0, 64)));
  }
  if (action.empty()) {
    if (req.method == "GET") {
      if (!t) co_return json_error(404, "torrent " + id + " is not running");
      auto o = torrent_json(t->status(), e);
      json::array peers;
      for (const auto& p : t->summary().peers) peers.push_back(peer_json(p));
      o["peers_list"] = std::move(peers);
      json::array files;
      if (const auto* info = t->info()) {
        const auto done = swarm::file_bytes_done(*info, t->have());
        for (std::size_t i = 0; i < info->files.size(); ++i) {
          const auto& f = info->files[i];
          if (f.pad) continue;
          json::object jf;
          jf["path"] = f.path;
          jf["size"] = f.length;
          jf["done"] = done[i];
          files.push_back(std::move(jf));
        }
      }
      o["files"] = std::move(files);
      // The verified pieces as BEP 3 bitfield bytes (the first piece in the high bit of the
      // first byte), in hex.
      const auto have = t->have();
      o["pieces_total"] = have.size();
      o["pieces_done"] = have.count();
      o["pieces"] = crypto::to_hex(std::string_view(have.to_wire()));
      json::array trackers;
      const double now = session_.now();
      for (const auto& tr : t->trackers()) {
        json::object jt;
        json::array urls;
        for (const auto& u : tr.urls) urls.push_back(json::string(u));
        jt["urls"] = std::move(urls);
        jt["status"] = tr.in_flight    ? "announcing"
                       : !tr.announced ? "not yet"
                       : tr.ok         ? "working"
                                       : "failing";
        jt["next_announce_in"] = tr.announced ? std::max(0.0, tr.next_round_at - now) : 0.0;
        trackers.push_back(std::move(jt));
      }
      o["trackers"] = std::move(trackers);
      co_return json_reply(200, o);
    }
    if (req.method == "DELETE") {
      const bool delete_data =
          req.query.count("delete_data") && is_true(req.query.at("delete_data"));
      co_await remove_torrent(id, delete_data);
      json::object o;
      o["removed"] = id;
      co_return json_reply(200, o);
    }
    co_return json_error(405, "use GET or DELETE on a torrent");
  }
  if (action == "limits") {
    if (req.method != "POST") co_return json_error(405, "use POST to set limits");
    if (!e) co_return json_error(404, "torrent " + id + " is not in the list");
    co_return set_torrent_limits(req, *e, t.get());
  }
  if (action == "recheck") {
    if (req.method != "POST") co_return json_error(405, "use POST to recheck");
    if (!t) co_return json_error(404, "torrent " + id + " is not running");
    if (!t->info()) co_return json_error(409, "its metadata is not known yet: nothing to check");
    // It runs on: the reply says it started, the events say how it went.
    session_.spawn_recheck(*digest);
    co_return json_reply(202, torrent_json(t->status(), e));
  }
  if (action != "pause" && action != "resume") co_return json_error(404, "no such action");
  if (req.method != "POST") co_return json_error(405, "use POST to " + action);
  if (!t) co_return json_error(404, "torrent " + id + " is not running");
  co_await set_paused(id, action == "pause");
  co_return json_reply(200, torrent_json(t->status(), entry_of(id)));
}

asio::awaitable<void> daemon_api::set_paused(std::string id, bool paused) {
  const auto digest = crypto::sha1_from_hex(id);
  if (!digest || !session_.find(*digest)) co_return;
  if (paused) {
    co_await session_.pause(*digest);
  } else {
    co_await session_.resume(*digest);
  }
  if (auto* e = entry_of(id); e && e->paused != paused) {
    e->paused = paused;
    save_list();
  }
}

// --- the list ---------------------------------------------------------------------------

http_response daemon_api::list(const http_request& req) const {
  std::string state, fields;
  if (auto it = req.query.find("state"); it != req.query.end()) state = it->second;
  if (auto it = req.query.find("fields"); it != req.query.end()) fields = it->second;
  std::vector<std::string> keep;
  for (std::size_t at = 0; !fields.empty() && at <= fields.size();) {
    const auto comma = fields.find(',', at);
    keep.push_back(fields.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  std::unordered_map<std::string_view, const daemon::torrent_entry*> entries;
  entries.reserve(state_.torrents.size());
  for (const auto& x : state_.torrents) entries.emplace(x.info_hash, &x);
  // One arena for the whole reply: thousands of small objects, freed at once.
  json::monotonic_resource arena(64 * 1024);
  json::storage_ptr sp(&arena);
  json::array out(sp);
  out.reserve(session_.torrents().size());
  for (const auto& t : session_.torrents()) {
    const auto s = t->status();
    if (!state.empty() && state != state_name(s.state)) continue;
    const auto found = entries.find(s.info_hash);
    const daemon::torrent_entry* e = found == entries.end() ? nullptr : found->second;
    auto o = torrent_json(s, e, sp);
    if (!keep.empty()) {
      json::object kept(sp);
      for (const auto& k : keep) {
        if (const auto* v = o.if_contains(k)) kept[k] = *v;
      }
      o = std::move(kept);
    }
    out.push_back(std::move(o));
  }
  json::object r(sp);
  r["torrents"] = std::move(out);
  return json_reply(200, r);
}

// --- routing -----------------------------------------------------------------------------

asio::awaitable<http_response> daemon_api::handle(http_request req) {
  ++http_requests_;
  spdlog::debug("api: {} {} {} from {}", req.method, text::printable(req.target.substr(0, 300)),
                req.body.size(), req.peer);
  // Without a password the API is on loopback: a page in the user's browser must not reach
  // it through a DNS name that resolves to 127.0.0.1 (DNS rebinding).
  if (!auth_.enabled() && !daemon::is_loopback_host(req.header("host"))) {
    co_return json_error(403, "Host must be a loopback address or localhost");
  }
  const std::string& p = req.path;
  // qBittorrent's API has its own login (SID cookie, 403 without it) and its own check of
  // Origin and Referer (401).
  if (p.rfind("/api/v2/", 0) == 0) co_return co_await qbt_->handle(req);
  if (req.method != "GET" && req.method != "HEAD" &&
      !daemon::is_same_origin(req.header("origin"), req.header("host"))) {
    co_return json_error(403, "cross-origin request refused (Origin does not match Host)");
  }
  // The web UI's files are public (the API they call is not).
  if (auto page = serve_web(req, web_root_)) co_return std::move(*page);
  if (p == "/api/v1/login") co_return auth_.login(req);
  if (p == "/api/v1/auth") co_return auth_.status(req);
  if (auto refused = auth_.check(req)) co_return std::move(*refused);
  if (p == "/api/v1/logout") co_return auth_.logout(req);
  if (transmission_rpc::is_rpc_path(p)) co_return co_await trpc_->handle(req);
  if (p == "/metrics") {
    if (req.method != "GET") co_return json_error(405, "use GET");
    co_return metrics();
  }
  const std::string base = "/api/v1/";
  if (p.rfind(base, 0) != 0) co_return json_error(404, "no such endpoint");
  const std::string rest = p.substr(base.size());
  if (rest == "torrents") {
    if (req.method == "GET") co_return list(req);
    if (req.method == "POST") co_return co_await add(std::move(req));
    co_return json_error(405, "use GET or POST on /api/v1/torrents");
  }
  if (rest == "session/limits") co_return session_limits(req);
  if (rest == "stats") {
    if (req.method != "GET") co_return json_error(405, "use GET");
    co_return stats();
  }
  if (rest == "events") {
    if (req.method != "GET") co_return json_error(405, "use GET");
    co_return events(req);
  }
  if (rest.rfind("torrents/", 0) == 0) {
    const std::string tail = rest.substr(9);
    const auto slash = tail.find('/');
    const std::string id = tail.substr(0, slash);
    const std::string action = slash == std::string::npos ? std::string() : tail.substr(slash + 1);
    co_return co_await on_torrent(req, id, action);
  }
  co_return json_error(404, "no such endpoint");
}

}  // namespace corrent::io
