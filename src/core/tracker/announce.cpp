#include "core/tracker/announce.hpp"

#include <algorithm>

#include "core/bencode/decode.hpp"
#include "core/text/percent.hpp"
#include "core/tracker/errc.hpp"
#include "core/tracker/peer_list.hpp"

namespace corrent::tracker {
namespace {

using bencode::value;

error fail(errc e, std::string detail) {
  return error{make_error_code(e), std::move(detail)};
}

std::string_view as_chars(const std::array<std::uint8_t, 20>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Starts (or continues) the query string of `url`.
void begin_query(std::string& url) {
  if (url.find('?') == std::string::npos) {
    url += '?';
  } else if (url.back() != '?' && url.back() != '&') {
    url += '&';
  }
}

std::string hex32(std::uint32_t v) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out(8, '0');
  for (int i = 7; i >= 0; --i, v >>= 4) out[static_cast<std::size_t>(i)] = hex[v & 0xf];
  return out;
}

const char* event_name(event ev) {
  switch (ev) {
    case event::started:
      return "started";
    case event::completed:
      return "completed";
    case event::stopped:
      return "stopped";
    case event::none:
      break;
  }
  return nullptr;
}

const char* kind_name(const value& v) {
  switch (v.kind()) {
    case bencode::type::integer:
      return "an integer";
    case bencode::type::string:
      return "a string";
    case bencode::type::list:
      return "a list";
    case bencode::type::dict:
      return "a dictionary";
  }
  return "a value";
}

// Trackers are sloppy: keys may come unsorted and junk may follow the value (a stray
// newline from a PHP tracker), so decode leniently, but never past max_body.
result<value> decode_dictionary(std::string_view body, std::size_t max_body) {
  if (body.size() > max_body) {
    return fail(errc::body_too_large,
                std::to_string(body.size()) + " bytes, the limit is " + std::to_string(max_body));
  }
  bencode::decode_limits limits;
  limits.require_sorted_keys = false;
  limits.max_size = std::max(limits.max_size, body.size());
  std::size_t consumed = 0;
  auto root = bencode::decode_prefix(body, consumed, limits);
  if (!root) return fail(errc::not_a_dictionary, "not bencode (" + root.error().message() + ")");
  if (!root->is_dict()) return fail(errc::not_a_dictionary, std::string("got ") + kind_name(*root));
  return root;
}

const value* find_int(const value& d, std::string_view key) {
  const value* v = d.find(key);
  return v && v->is_int() ? v : nullptr;
}

const value* find_string(const value& d, std::string_view key) {
  const value* v = d.find(key);
  return v && v->is_string() ? v : nullptr;
}

// {ip, port, peer id}; entries a client cannot use (DNS names, bad ports) are skipped.
void add_dictionary_peer(const value& entry, peer_list& peers) {
  if (!entry.is_dict()) return;
  const value* ip = find_string(entry, "ip");
  const value* port = find_int(entry, "port");
  if (!ip || !port || port->as_int() < 1 || port->as_int() > 65535) return;
  std::string_view text = ip->as_string();
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (auto a = net::peer_address::parse_ip(text, static_cast<std::uint16_t>(port->as_int()))) {
    peers.add(*a);
  }
}

result<void> add_peers(const value& v, std::string_view key, bool ipv6, peer_list& peers) {
  if (v.is_string()) {
    const std::size_t entry_size = ipv6 ? 18 : 6;
    if (v.as_string().size() % entry_size != 0) {
      return fail(errc::bad_peers, "'" + std::string(key) + "' is " +
                                       std::to_string(v.as_string().size()) +
                                       " bytes, not a multiple of " + std::to_string(entry_size));
    }
    peers.add_compact(v.as_string(), ipv6);
    return {};
  }
  if (v.is_list()) {
    for (const value& entry : v.as_list()) {
      if (peers.full()) break;
      add_dictionary_peer(entry, peers);
    }
    return {};
  }
  return fail(errc::bad_peers, "'" + std::string(key) + "' is " + kind_name(v));
}

// Scalars of the wrong type or out of range are ignored rather than fatal: the peers are
// what matters, and the defaults are safe.
void read_announce_scalars(const value& d, announce_response& out) {
  if (const value* v = find_string(d, "warning message")) {
    out.warning_message = std::string(v->as_string());
  }
  if (const value* v = find_int(d, "interval"); v && v->as_int() > 0) out.interval = v->as_int();
  if (const value* v = find_int(d, "min interval"); v && v->as_int() >= 0) {
    out.min_interval = v->as_int();
  }
  if (const value* v = find_string(d, "tracker id")) out.tracker_id = std::string(v->as_string());
  if (const value* v = find_int(d, "complete"); v && v->as_int() >= 0) out.complete = v->as_int();
  if (const value* v = find_int(d, "incomplete"); v && v->as_int() >= 0) {
    out.incomplete = v->as_int();
  }
}

std::int64_t non_negative(const value& d, std::string_view key) {
  const value* v = find_int(d, key);
  return v && v->as_int() > 0 ? v->as_int() : 0;
}

}  // namespace

std::string build_announce_url(std::string_view announce_url, const announce_request& req) {
  std::string url(announce_url);
  url.reserve(url.size() + 256 + 3 * req.tracker_id.size());
  begin_query(url);
  url += "info_hash=";
  text::append_percent_encoded(url, as_chars(req.info_hash));
  url += "&peer_id=";
  text::append_percent_encoded(url, as_chars(req.peer_id));
  url += "&port=" + std::to_string(req.port);
  // Negative counters would be a bug upstream; trackers reject them, so send 0.
  url += "&uploaded=" + std::to_string(std::max<std::int64_t>(req.uploaded, 0));
  url += "&downloaded=" + std::to_string(std::max<std::int64_t>(req.downloaded, 0));
  url += "&left=" + std::to_string(std::max<std::int64_t>(req.left, 0));
  url += "&compact=1";
  if (req.numwant >= 0) url += "&numwant=" + std::to_string(req.numwant);
  url += "&key=" + hex32(req.key);
  if (const char* name = event_name(req.ev)) {
    url += "&event=";
    url += name;
  }
  if (!req.tracker_id.empty()) {
    url += "&trackerid=";
    text::append_percent_encoded(url, req.tracker_id);
  }
  return url;
}

result<announce_response> parse_announce_response(std::string_view body,
                                                  const response_limits& limits) {
  auto root = decode_dictionary(body, limits.max_body);
  if (!root) return root.error();
  const value& d = *root;

  announce_response out;
  if (const value* reason = find_string(d, "failure reason")) {
    out.failure_reason = std::string(reason->as_string());
    return out;
  }
  const value* peers = d.find("peers");
  const value* peers6 = d.find("peers6");
  if (!peers && !peers6) {
    return fail(errc::missing_field, "neither 'failure reason' nor 'peers' nor 'peers6'");
  }
  read_announce_scalars(d, out);

  peer_list list(limits.max_peers);
  if (peers) {
    if (auto r = add_peers(*peers, "peers", false, list); !r) return r.error();
  }
  if (peers6) {
    if (auto r = add_peers(*peers6, "peers6", true, list); !r) return r.error();
  }
  out.peers = std::move(list).take();
  return out;
}

std::optional<std::string> scrape_url(std::string_view announce_url,
                                      const crypto::sha1_digest& info_hash) {
  // Split off the query first: it may itself contain '/' ("?x=2/4").
  const std::string_view before_query = announce_url.substr(0, announce_url.find('?'));
  std::size_t path_start = 0;
  if (const std::size_t scheme = before_query.find("://"); scheme != std::string_view::npos) {
    path_start = before_query.find('/', scheme + 3);  // the host is no path segment
    if (path_start == std::string_view::npos) return std::nullopt;
  }
  const std::size_t last_slash = before_query.rfind('/');
  if (last_slash == std::string_view::npos || last_slash < path_start) return std::nullopt;
  constexpr std::string_view announce = "announce";
  if (!before_query.substr(last_slash + 1).starts_with(announce)) return std::nullopt;

  std::string url(announce_url.substr(0, last_slash + 1));
  url += "scrape";
  url += announce_url.substr(last_slash + 1 + announce.size());
  begin_query(url);
  url += "info_hash=";
  text::append_percent_encoded(url, as_chars(info_hash));
  return url;
}

result<scrape_entry> parse_scrape_response(std::string_view body,
                                           const crypto::sha1_digest& info_hash,
                                           const response_limits& limits) {
  auto root = decode_dictionary(body, limits.max_body);
  if (!root) return root.error();
  const value& d = *root;
  if (const value* reason = find_string(d, "failure reason")) {
    return fail(errc::tracker_error, std::string(reason->as_string()));
  }
  const value* files = d.find("files");
  if (!files || !files->is_dict()) return fail(errc::missing_field, "'files'");
  const value* entry = files->find(as_chars(info_hash));
  if (!entry) return fail(errc::not_in_scrape, crypto::to_hex(info_hash));
  if (!entry->is_dict()) {
    return fail(errc::missing_field,
                "the entry for " + crypto::to_hex(info_hash) + " is " + kind_name(*entry));
  }
  scrape_entry out;
  out.complete = non_negative(*entry, "complete");
  out.downloaded = non_negative(*entry, "downloaded");
  out.incomplete = non_negative(*entry, "incomplete");
  return out;
}

}  // namespace corrent::tracker
