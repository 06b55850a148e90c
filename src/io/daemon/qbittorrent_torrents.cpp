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

namespace {
constexpr std::size_t max_links_per_add = 16;  // http(s) links fetched for one torrents/add
}  // namespace
namespace asio = boost::asio;
namespace json = boost::json;
namespace qb = daemon::qbittorrent;

using namespace qbt_detail;

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
  const auto tiers = t ? t->trackers() : std::vector<corrent::torrent::tier_report>{};
  if (t) {
    const double clock = api_.sess().now();
    for (const auto& tier : tiers) {
      trackers_count += static_cast<std::int64_t>(tier.urls.size());
      swarm_seeds = std::max(swarm_seeds, tier.seeders);
      swarm_leechers = std::max(swarm_leechers, tier.leechers);
      if (tracker.empty() && tier.ok && !tier.urls.empty()) tracker = tier.urls.front();
      if (tier.announced && (reannounce == 0 || tier.next_round_at - clock < reannounce))
        reannounce =
            std::max<std::int64_t>(0, static_cast<std::int64_t>(tier.next_round_at - clock));
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
  put("magnet_uri", magnet_of(hash, s.name, tiers));
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

http_response qbittorrent_api::properties(const torrent& t) {
  const std::string hash = crypto::to_hex(t.info_hash());
  const auto* e = api_.entry_of(hash);
  const auto s = t.status();
  const auto* info = t.info();
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

http_response qbittorrent_api::files(const torrent& t) {
  json::array out;
  if (const auto* info = t.info()) {
    const auto have = t.have();
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

http_response qbittorrent_api::trackers(const torrent& t) {
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
  const bool priv = t.info() && t.info()->is_private;
  pseudo("** [DHT] **", !priv && api_.sess().dht_status().enabled);
  pseudo("** [PeX] **", !priv);
  pseudo("** [LSD] **", false);
  std::int64_t tier_index = 0;
  for (const auto& tier : t.trackers()) {
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
  return json_ok(out);
}

http_response qbittorrent_api::piece_states(const torrent& t) {
  json::array out;
  const auto have = t.have();
  for (std::size_t i = 0; i < have.size(); ++i) out.push_back(have.test(i) ? 2 : 0);
  return json_ok(out);
}

asio::awaitable<http_response> qbittorrent_api::add(const http_request& req, const params& p) {
  std::vector<std::pair<std::string, std::string>> sources;  // kind, payload
  std::vector<std::string> links;                            // http(s), fetched below
  for (const auto& u : split_list(param(p, "urls"), '\n')) {
    std::string url = u;
    if (!url.empty() && url.back() == '\r') url.pop_back();
    if (metainfo::is_magnet(url)) {
      sources.emplace_back("magnet", url);
    } else if (url.size() == 40 && daemon::is_info_hash_hex(url)) {
      sources.emplace_back("magnet", "magnet:?xt=urn:btih:" + url);
    } else if (daemon_api::is_web_url(url)) {
      links.push_back(url);
    } else if (!url.empty()) {
      spdlog::warn("qbittorrent api: not a magnet link, info-hash or http(s) URL: {}",
                   text::printable(url.substr(0, 200)));
      co_return text_reply(200, "Fails.");
    }
  }
  if (const auto boundary = text::multipart_boundary(req.header("content-type"))) {
    const auto parts = text::parse_multipart(req.body, *boundary);
    if (parts) {
      for (const auto& part : *parts) {
        if (part.filename.empty()) continue;
        metainfo::parse_limits limits;
        if (!metainfo::parse_torrent(part.data, limits)) {
          co_return text_reply(415, "Error: '" + text::printable(part.filename.substr(0, 200)) +
                                        "' is not a valid torrent file.");
        }
        sources.emplace_back("torrent", part.data);
      }
    }
  }
  // Links to .torrent files: qBittorrent fetches them in the background and answers at
  // once; this reply waits for them (at most 30 s each).
  if (links.size() > max_links_per_add) {
    spdlog::warn("qbittorrent api: more than {} links in one add; the rest are ignored",
                 max_links_per_add);
    links.resize(max_links_per_add);
  }
  for (const auto& url : links) {
    auto f = co_await api_.fetch_url(url);
    if (f.status) {
      spdlog::warn("qbittorrent api: {}", f.error);
      continue;
    }
    sources.emplace_back(std::move(f.kind), std::move(f.payload));
  }
  if (sources.empty()) {
    if (!param(p, "urls").empty()) co_return text_reply(200, "Fails.");  // no link could be fetched
    co_return text_reply(400, "no torrents (urls or torrents) given");
  }
  const std::string category = param(p, "category");
  const auto& cats = api_.saved().categories;
  const auto cat =
      std::find_if(cats.begin(), cats.end(), [&](const auto& c) { return c.first == category; });
  if (!category.empty() && cat == cats.end()) {
    // qBittorrent creates a category named on add.
    if (!valid_category(category)) co_return text_reply(400, "Incorrect category name");
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
  co_return text_reply(200, any ? "Ok." : "Fails.");
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

}  // namespace corrent::io
