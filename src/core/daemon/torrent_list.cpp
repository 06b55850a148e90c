#include "core/daemon/torrent_list.hpp"

#include <algorithm>
#include <boost/system/errc.hpp>

#include "core/bencode/decode.hpp"
#include "core/bencode/encode.hpp"
#include "core/bencode/value.hpp"

namespace corrent::daemon {

namespace {

constexpr std::int64_t format_version = 1;

error bad(std::string detail) {
  return error{make_error_code(boost::system::errc::invalid_argument), std::move(detail)};
}

}  // namespace

bool is_info_hash_hex(std::string_view s) {
  if (s.size() != 40) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string encode_state(const saved_state& state) {
  const auto& entries = state.torrents;
  using bencode::value;
  bencode::list items;
  items.reserve(entries.size());
  for (const auto& e : entries) {
    // Keys in sorted order, as bencode requires.
    bencode::dict d;
    d.push_back({"added", value(e.added_at)});
    if (!e.category.empty()) d.push_back({"category", value(std::string_view(e.category))});
    if (e.completed_at) d.push_back({"completed", value(e.completed_at)});
    d.push_back({"info_hash", value(std::string_view(e.info_hash))});
    if (!e.magnet.empty()) d.push_back({"magnet", value(std::string_view(e.magnet))});
    if (e.max_download_rate) d.push_back({"max_download_rate", value(e.max_download_rate)});
    if (e.max_upload_rate) d.push_back({"max_upload_rate", value(e.max_upload_rate)});
    if (e.no_ratio_limit) d.push_back({"no_ratio_limit", value(std::int64_t{1})});
    if (e.no_time_limit) d.push_back({"no_time_limit", value(std::int64_t{1})});
    d.push_back({"paused", value(std::int64_t{e.paused ? 1 : 0})});
    d.push_back({"save_path", value(std::string_view(e.save_path))});
    if (e.seed_ratio_milli) d.push_back({"seed_ratio_milli", value(e.seed_ratio_milli)});
    if (e.seed_time_s) d.push_back({"seed_time", value(e.seed_time_s)});
    if (!e.tags.empty()) {
      bencode::list tags;
      for (const auto& t : e.tags) tags.emplace_back(std::string_view(t));
      d.push_back({"tags", value(std::move(tags))});
    }
    items.emplace_back(std::move(d));
  }
  bencode::dict top;
  auto cats = state.categories;  // the encoded views point into it
  std::sort(cats.begin(), cats.end());
  if (!cats.empty()) {
    bencode::dict c;
    for (const auto& [name, path] : cats) c.push_back({name, value(std::string_view(path))});
    top.push_back({"categories", value(std::move(c))});
  }
  if (state.max_download_rate) top.push_back({"max_download_rate", value(state.max_download_rate)});
  if (state.max_upload_rate) top.push_back({"max_upload_rate", value(state.max_upload_rate)});
  if (!state.tags.empty()) {
    bencode::list tags;
    for (const auto& t : state.tags) tags.emplace_back(std::string_view(t));
    top.push_back({"tags", value(std::move(tags))});
  }
  top.push_back({"torrents", value(std::move(items))});
  top.push_back({"version", value(format_version)});
  return bencode::encode(value(std::move(top)));
}

namespace {

// An optional list of strings; false when present and not one.
bool optional_strings(const bencode::value& d, std::string_view key,
                      std::vector<std::string>& out) {
  const auto* v = d.find(key);
  if (!v) return true;
  if (!v->is_list()) return false;
  for (const auto& x : v->as_list()) {
    if (!x.is_string()) return false;
    out.emplace_back(x.as_string());
  }
  return true;
}

// An optional non-negative integer field; false when present and not one.
bool optional_count(const bencode::value& d, std::string_view key, std::int64_t& out) {
  const auto* v = d.find(key);
  if (!v) return true;
  if (!v->is_int() || v->as_int() < 0) return false;
  out = v->as_int();
  return true;
}

}  // namespace

result<saved_state> decode_state(std::string_view bytes) {
  auto top = bencode::decode(bytes);
  if (!top) return bad("the torrent list does not decode: " + top.error().message());
  const auto* version = top->find("version");
  if (!version || !version->is_int() || version->as_int() != format_version) {
    return bad("the torrent list has no version, or one this build does not know");
  }
  const auto* torrents = top->find("torrents");
  if (!torrents || !torrents->is_list()) return bad("the torrent list has no `torrents` list");
  saved_state state;
  if (!optional_count(*top, "max_download_rate", state.max_download_rate) ||
      !optional_count(*top, "max_upload_rate", state.max_upload_rate)) {
    return bad("the session's limits are not counts");
  }
  if (!optional_strings(*top, "tags", state.tags)) return bad("`tags` is not a list of strings");
  if (const auto* cats = top->find("categories")) {
    if (!cats->is_dict()) return bad("`categories` is not a dictionary");
    for (const auto& [name, path] : cats->as_dict()) {
      if (!path.is_string()) return bad("category " + std::string(name) + ": no save path");
      state.categories.emplace_back(std::string(name), std::string(path.as_string()));
    }
  }
  auto& out = state.torrents;
  std::size_t n = 0;
  for (const auto& item : torrents->as_list()) {
    const std::string where = "entry " + std::to_string(n++);
    const auto* ih = item.find("info_hash");
    const auto* save = item.find("save_path");
    const auto* added = item.find("added");
    const auto* paused = item.find("paused");
    const auto* magnet = item.find("magnet");
    if (!ih || !ih->is_string() || !is_info_hash_hex(ih->as_string())) {
      return bad(where + ": no well-formed info_hash");
    }
    if (!save || !save->is_string() || save->as_string().empty() ||
        save->as_string().front() != '/') {
      return bad(where + ": no absolute save_path");
    }
    if (!added || !added->is_int()) return bad(where + ": no `added` time");
    if (!paused || !paused->is_int()) return bad(where + ": no `paused` flag");
    if (magnet && !magnet->is_string()) return bad(where + ": `magnet` is not a string");
    torrent_entry e;
    e.info_hash = std::string(ih->as_string());
    e.save_path = std::string(save->as_string());
    e.added_at = added->as_int();
    e.paused = paused->as_int() != 0;
    if (magnet) e.magnet = std::string(magnet->as_string());
    if (!optional_count(item, "max_download_rate", e.max_download_rate) ||
        !optional_count(item, "max_upload_rate", e.max_upload_rate) ||
        !optional_count(item, "seed_ratio_milli", e.seed_ratio_milli) ||
        !optional_count(item, "seed_time", e.seed_time_s) ||
        !optional_count(item, "completed", e.completed_at)) {
      return bad(where + ": a limit that is not a count");
    }
    std::int64_t no_ratio = 0, no_time = 0;
    if (!optional_count(item, "no_ratio_limit", no_ratio) ||
        !optional_count(item, "no_time_limit", no_time)) {
      return bad(where + ": a no-limit flag that is not a count");
    }
    e.no_ratio_limit = no_ratio != 0;
    e.no_time_limit = no_time != 0;
    if (const auto* c = item.find("category")) {
      if (!c->is_string()) return bad(where + ": `category` is not a string");
      e.category = std::string(c->as_string());
    }
    if (!optional_strings(item, "tags", e.tags)) return bad(where + ": `tags` is not a list");
    for (const auto& seen : out) {
      if (seen.info_hash == e.info_hash) return bad(where + ": info_hash listed twice");
    }
    out.push_back(std::move(e));
  }
  return state;
}

}  // namespace corrent::daemon
