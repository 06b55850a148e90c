#include "io/daemon/api_json.hpp"

#include "core/metainfo/magnet.hpp"
#include "io/rpc/json_text.hpp"

#include <boost/json/serialize.hpp>
#include <ctime>

namespace corrent::io {
namespace json = boost::json;

http_response json_reply(unsigned status, const json::value& v) {
  http_response r;
  r.status = status;
  r.body = json_text(v);
  return r;
}

std::string state_name(torrent_state s) {
  std::string n = to_string(s);
  for (char& c : n) c = c == ' ' ? '_' : c;
  return n;
}

double progress(std::int64_t done, std::int64_t total) {
  return total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0.0;
}

bool is_true(const std::string& v) {
  return v == "1" || v == "true" || v == "yes";
}

std::int64_t unix_now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

json::object peer_json(const peer_summary& p) {
  json::object o;
  o["address"] = p.address;
  o["client"] = p.client;
  o["transport"] = p.transport;
  o["downloaded"] = p.downloaded;
  o["uploaded"] = p.uploaded;
  o["hash_failures"] = p.hash_failures;
  o["banned"] = p.banned;
  return o;
}

json::object torrent_json(const torrent_status& s, const daemon::torrent_entry* e,
                          json::storage_ptr sp) {
  json::object o(16, std::move(sp));
  o["id"] = s.info_hash;
  o["name"] = s.name;
  o["state"] = state_name(s.state);
  o["progress"] = progress(s.bytes_done, s.bytes_total);
  o["size"] = s.bytes_total;
  o["done"] = s.bytes_done;
  o["down_rate"] = s.down_rate;
  o["up_rate"] = s.up_rate;
  o["peers"] = s.peers_connected;
  o["downloaded"] = s.downloaded_total;
  o["uploaded"] = s.uploaded_total;
  o["downloaded_session"] = s.downloaded_total - s.downloaded_carried;
  o["uploaded_session"] = s.uploaded_total - s.uploaded_carried;
  o["save_path"] = e ? e->save_path : std::string();
  o["added_at"] = e ? e->added_at : 0;
  o["error"] = s.error;
  return o;
}

std::string magnet_of(const std::string& info_hash_hex, const std::string& name,
                      const std::vector<corrent::torrent::tier_report>& tiers) {
  const auto digest = crypto::sha1_from_hex(info_hash_hex);
  if (!digest) return {};
  std::vector<std::vector<std::string>> trackers;
  trackers.reserve(tiers.size());
  for (const auto& t : tiers) trackers.push_back(t.urls);
  return metainfo::make_magnet(*digest, name, trackers);
}

}  // namespace corrent::io
