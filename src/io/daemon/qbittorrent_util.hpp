// Helpers shared by the qBittorrent Web API's files (qbittorrent_api.cpp, _torrents.cpp,
// _sync.cpp): plain-text and JSON replies, parameters, and one JSON object written as text.
#pragma once

#include <boost/json.hpp>
#include <cmath>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "core/crypto/sha1.hpp"
#include "core/daemon/api_rules.hpp"
#include "io/daemon/daemon_api.hpp"
#include "io/daemon/qbittorrent_api.hpp"
#include "io/rpc/http_server.hpp"
#include "io/rpc/json_text.hpp"
#include "io/torrent/torrent.hpp"

namespace corrent::io::qbt_detail {
namespace json = boost::json;

inline http_response text_reply(unsigned status, std::string body) {
  http_response r;
  r.status = status;
  r.content_type = "text/plain; charset=UTF-8";
  r.body = std::move(body);
  return r;
}

inline http_response ok() {
  return text_reply(200, "Ok.");
}
inline http_response done() {
  return text_reply(200, "");
}  // an action's reply: an empty 200

inline http_response json_ok(const json::value& v) {
  http_response r;
  r.content_type = "application/json";
  r.body = json_text(v);
  return r;
}

inline std::string param(const std::map<std::string, std::string>& p, const char* key) {
  const auto it = p.find(key);
  return it == p.end() ? std::string() : it->second;
}

inline bool truthy(const std::string& v) {
  return v == "true" || v == "1" || v == "True";
}

// "host:port" of an Origin or Referer URL ("http://host:port/..."); empty if none.
inline std::string url_host(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return {};
  const auto start = scheme + 3;
  const auto end = url.find_first_of("/?#", start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// A list of names: "a,b" (tags, categories) trimmed, empty ones dropped.
inline std::vector<std::string> split_list(const std::string& s, char sep) {
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

inline bool valid_category(const std::string& name) {
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
    append_json_double(out_, v);
  }
  void operator()(std::string_view k, bool v) {
    key(k);
    out_ += v ? "true" : "false";
  }
  void operator()(std::string_view k, std::string_view v) {
    key(k);
    append_json_string(out_, v);
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
  std::string& out_;
  bool first_ = true;
};

// The running torrent of `hash` (a full 40-hex info-hash), or null.
inline std::shared_ptr<torrent> find_torrent(daemon_api& api, const std::string& hash) {
  if (hash.empty()) return nullptr;
  std::string h = hash;
  for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!daemon::is_info_hash_hex(h) || !api.entry_of(h)) return nullptr;
  const auto d = crypto::sha1_from_hex(h);
  return d ? api.sess().find(*d) : nullptr;
}

}  // namespace corrent::io::qbt_detail

namespace corrent::io {

// What one sync/maindata reply held, to diff the next one against.
struct qbittorrent_api::snapshot {
  // One arena for the lot: thousands of objects of ~60 fields each.
  boost::json::storage_ptr sp =
      boost::json::make_shared_resource<boost::json::monotonic_resource>();
  std::map<std::string, boost::json::object> torrents;
  boost::json::object categories;
  std::vector<std::string> tags;
  boost::json::object server_state;
};

}  // namespace corrent::io
