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
