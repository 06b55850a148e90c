#include "core/dht/krpc.hpp"

#include <limits>
#include <utility>

#include "core/bencode/decode.hpp"
#include "core/bencode/encode.hpp"

namespace corrent::dht {
namespace {

using bencode::value;
using net::peer_address;

constexpr std::size_t id_size = 20;
constexpr std::size_t v4_compact_size = 6;                       // address and port
constexpr std::size_t v6_compact_size = 18;                      // address and port
constexpr std::size_t v4_node_size = id_size + v4_compact_size;  // 26
constexpr std::size_t v6_node_size = id_size + v6_compact_size;  // 38

error fail(errc e, std::string detail) {
  return error{make_error_code(e), std::move(detail)};
}

// The string under `key` of dictionary d, or nullopt when absent or not a string.
std::optional<std::string_view> find_string(const value& d, std::string_view key) {
  const value* v = d.find(key);
  if (!v || !v->is_string()) return std::nullopt;
  return v->as_string();
}

std::optional<std::int64_t> find_int(const value& d, std::string_view key) {
  const value* v = d.find(key);
  if (!v || !v->is_int()) return std::nullopt;
  return v->as_int();
}

// The 20-byte id under `key`, or nullopt.
std::optional<node_id> find_id(const value& d, std::string_view key) {
  const auto s = find_string(d, key);
  if (!s || s->size() != id_size) return std::nullopt;
  return node_id::from_bytes(*s);
}

// A compact address and port: 6 bytes (IPv4) or 18 (IPv6), network byte order.
std::optional<peer_address> compact_address(std::string_view s) {
  if (s.size() != v4_compact_size && s.size() != v6_compact_size) return std::nullopt;
  const auto hi = static_cast<std::uint8_t>(s[s.size() - 2]);
  const auto lo = static_cast<std::uint8_t>(s[s.size() - 1]);
  return peer_address::from_bytes(s.substr(0, s.size() - 2),
                                  static_cast<std::uint16_t>(hi << 8 | lo));
}

void append_compact(std::string& out, const peer_address& a) {
  out.append(reinterpret_cast<const char*>(a.ip.data()), a.is_v6 ? 16 : 4);
  out += static_cast<char>(a.port >> 8);
  out += static_cast<char>(a.port & 0xff);
}

std::string compact(const peer_address& a) {
  std::string out;
  append_compact(out, a);
  return out;
}

// Appends the entries of a `nodes` (26-byte) or `nodes6` (38-byte) string to out, while out
// holds fewer than max; a string that is not a whole number of entries is ignored.
void decode_nodes(const value& r, std::string_view key, std::size_t entry_size, std::size_t max,
                  std::vector<compact_node>& out) {
  const auto s = find_string(r, key);
  if (!s || s->size() % entry_size != 0) return;
  for (std::size_t i = 0; i < s->size() && out.size() < max; i += entry_size) {
    const std::string_view entry = s->substr(i, entry_size);
    out.push_back(
        {node_id::from_bytes(entry.substr(0, id_size)), *compact_address(entry.substr(id_size))});
  }
}

void decode_values(const value& r, std::size_t max, std::vector<peer_address>& out) {
  const value* v = r.find("values");
  if (!v || !v->is_list()) return;
  for (const value& entry : v->as_list()) {
    if (out.size() >= max) break;
    if (!entry.is_string()) continue;
    if (auto a = compact_address(entry.as_string())) out.push_back(*a);
  }
}

void decode_want(const value& a, std::vector<std::string>& out) {
  const value* v = a.find("want");
  if (!v || !v->is_list()) return;
  for (const value& entry : v->as_list()) {
    if (out.size() >= max_want_entries) break;
    if (entry.is_string()) out.emplace_back(entry.as_string());
  }
}

query_type query_of(std::string_view name) {
  for (auto q : {query_type::ping, query_type::find_node, query_type::get_peers,
                 query_type::announce_peer}) {
    if (name == query_name(q)) return q;
  }
  return query_type::unknown;
}

result<void> decode_query(const value& root, message& m) {
  const auto name = find_string(root, "q");
  if (!name) return fail(errc::bad_query, "`q` missing or not a string");
  m.q = query_of(*name);
  m.q_name = std::string(name->substr(0, max_method_name_size));
  const value* a = root.find("a");
  if (!a || !a->is_dict()) return fail(errc::bad_query, "`a` missing or not a dictionary");
  const auto id = find_id(*a, "id");
  if (!id) return fail(errc::bad_node_id, "`a.id` missing or not 20 bytes");
  m.sender = *id;

  if (const auto target = find_id(*a, "target")) {
    m.target = *target;
    m.has_target = true;
  }
  if (const auto info_hash = find_id(*a, "info_hash")) {
    m.info_hash = *info_hash;
    m.has_info_hash = true;
  }
  decode_want(*a, m.want);

  const std::string method(query_name(m.q));
  switch (m.q) {
    case query_type::find_node:
      if (!m.has_target) return fail(errc::bad_argument, "find_node: no 20-byte `target`");
      break;
    case query_type::get_peers:
    case query_type::announce_peer:
      if (!m.has_info_hash) return fail(errc::bad_argument, method + ": no 20-byte `info_hash`");
      break;
    case query_type::ping:
    case query_type::unknown:
      break;
  }
  if (m.q != query_type::announce_peer) return {};

  const auto implied = find_int(*a, "implied_port");
  m.implied_port = implied && *implied != 0;
  const auto port = find_int(*a, "port");
  const bool port_ok = port && *port >= 0 && *port <= std::numeric_limits<std::uint16_t>::max();
  if (port_ok) {
    m.port = static_cast<std::uint16_t>(*port);
  } else if (!m.implied_port) {
    return fail(errc::bad_argument, "announce_peer: no integer `port` in 0..65535");
  }
  const auto token = find_string(*a, "token");
  if (!token || token->size() > max_token_size) {
    return fail(errc::bad_argument, "announce_peer: no `token` string of at most " +
                                        std::to_string(max_token_size) + " bytes");
  }
  m.token = std::string(*token);
  return {};
}

result<void> decode_response(const value& root, const decode_limits& limits, message& m) {
  const value* r = root.find("r");
  if (!r || !r->is_dict()) return fail(errc::bad_response, "`r` missing or not a dictionary");
  const auto id = find_id(*r, "id");
  if (!id) return fail(errc::bad_node_id, "`r.id` missing or not 20 bytes");
  m.sender = *id;
  if (const auto token = find_string(*r, "token"); token && token->size() <= max_token_size)
    m.token = std::string(*token);
  decode_nodes(*r, "nodes", v4_node_size, limits.max_nodes, m.nodes);
  decode_nodes(*r, "nodes6", v6_node_size, limits.max_nodes, m.nodes);
  decode_values(*r, limits.max_values, m.values);
  return {};
}

void decode_error(const value& root, message& m) {
  const value* e = root.find("e");
  if (!e || !e->is_list()) return;
  const bencode::list& items = e->as_list();
  if (!items.empty() && items[0].is_int()) {
    const std::int64_t code = items[0].as_int();
    if (code >= std::numeric_limits<int>::min() && code <= std::numeric_limits<int>::max())
      m.error_code = static_cast<int>(code);
  }
  if (items.size() >= 2 && items[1].is_string())
    m.error_message = std::string(items[1].as_string().substr(0, max_error_message_size));
}

// ---------------------------------------------------------------------------------------
// Encoding

// The keys every message ends with (all sort after `a`, `e`, `ip`, `q`, `r` and `ro`).
void finish(bencode::writer& w, std::string_view t, std::string_view y) {
  w.key("t").string(t);
  w.key("v").string(our_version);
  w.key("y").string(y);
  w.end();
}

// `q`, `ro` and the common tail after a query's `a` dictionary.
std::string finish_query(std::string& out, bencode::writer& w, query_type q, std::string_view t,
                         bool read_only) {
  w.key("q").string(query_name(q));
  if (read_only) w.key("ro").integer(1);
  finish(w, t, "q");
  return std::move(out);
}

std::size_t decimal_digits(std::size_t n) {
  std::size_t digits = 1;
  while (n >= 10) {
    n /= 10;
    ++digits;
  }
  return digits;
}

// Bytes a `key` entry holding a string of `length` bytes takes.
std::size_t string_entry_size(std::string_view key, std::size_t length) {
  return decimal_digits(key.size()) + 1 + key.size() + decimal_digits(length) + 1 + length;
}

}  // namespace

std::string_view query_name(query_type q) {
  switch (q) {
    case query_type::ping:
      return "ping";
    case query_type::find_node:
      return "find_node";
    case query_type::get_peers:
      return "get_peers";
    case query_type::announce_peer:
      return "announce_peer";
    case query_type::unknown:
      break;
  }
  return {};
}

result<message> decode(std::string_view datagram, const decode_limits& limits) {
  return decode(datagram, limits, nullptr);
}

result<message> decode(std::string_view datagram, const decode_limits& limits,
                       decode_failure* failure) {
  if (failure) *failure = {};
  if (datagram.size() > limits.max_datagram_size) {
    return fail(errc::datagram_too_large, std::to_string(datagram.size()) +
                                              " bytes, the limit is " +
                                              std::to_string(limits.max_datagram_size));
  }
  bencode::decode_limits bl;
  bl.max_depth = max_depth;
  bl.max_size = limits.max_datagram_size;
  bl.max_tokens = limits.max_datagram_size;  // never reached: a token takes 2 bytes or more
  bl.require_sorted_keys = false;
  std::size_t consumed = 0;
  auto root = bencode::decode_prefix(datagram, consumed, bl);
  if (!root) return fail(errc::not_a_dictionary, "not bencode (" + root.error().message() + ")");
  if (!root->is_dict()) return fail(errc::not_a_dictionary, "the datagram is not a dictionary");

  message m;
  const auto t = find_string(*root, "t");
  if (!t) return fail(errc::bad_transaction, "`t` missing or not a string");
  if (t->size() > max_transaction_size) {
    return fail(errc::bad_transaction, "`t` of " + std::to_string(t->size()) +
                                           " bytes, the limit is " +
                                           std::to_string(max_transaction_size));
  }
  m.transaction = std::string(*t);

  const auto y = find_string(*root, "y");
  if (!y || (*y != "q" && *y != "r" && *y != "e"))
    return fail(errc::bad_message_type, "`y` is not \"q\", \"r\" or \"e\"");
  m.k = *y == "q" ? message::kind::query
                  : (*y == "r" ? message::kind::response : message::kind::error);
  if (failure && m.k == message::kind::query) {
    failure->query = true;
    failure->transaction = m.transaction;
  }

  if (const auto v = find_string(*root, "v"); v && v->size() <= max_version_size)
    m.client_version = std::string(*v);
  if (const auto ip = find_string(*root, "ip")) m.your_ip = compact_address(*ip);
  m.read_only = find_int(*root, "ro") == 1;

  switch (m.k) {
    case message::kind::query:
      if (auto r = decode_query(*root, m); !r) return r.error();
      break;
    case message::kind::response:
      if (auto r = decode_response(*root, limits, m); !r) return r.error();
      break;
    case message::kind::error:
      decode_error(*root, m);
      break;
  }
  if (failure) *failure = {};
  return m;
}

std::string encode_ping(std::string_view t, const node_id& self, bool read_only) {
  std::string out;
  bencode::writer w(out);
  w.begin_dict().key("a").begin_dict();
  w.key("id").string(self.view());
  w.end();
  return finish_query(out, w, query_type::ping, t, read_only);
}

std::string encode_find_node(std::string_view t, const node_id& self, const node_id& target,
                             bool read_only, bool want_v6) {
  std::string out;
  bencode::writer w(out);
  w.begin_dict().key("a").begin_dict();
  w.key("id").string(self.view());
  w.key("target").string(target.view());
  if (want_v6) w.key("want").begin_list().string("n4").string("n6").end();
  w.end();
  return finish_query(out, w, query_type::find_node, t, read_only);
}

std::string encode_get_peers(std::string_view t, const node_id& self, const node_id& info_hash,
                             bool read_only) {
  std::string out;
  bencode::writer w(out);
  w.begin_dict().key("a").begin_dict();
  w.key("id").string(self.view());
  w.key("info_hash").string(info_hash.view());
  w.end();
  return finish_query(out, w, query_type::get_peers, t, read_only);
}

std::string encode_announce_peer(std::string_view t, const node_id& self, const node_id& info_hash,
                                 std::uint16_t port, bool implied_port, std::string_view token,
                                 bool read_only) {
  std::string out;
  bencode::writer w(out);
  w.begin_dict().key("a").begin_dict();
  w.key("id").string(self.view());
  if (implied_port) w.key("implied_port").integer(1);
  w.key("info_hash").string(info_hash.view());
  w.key("port").integer(port);
  w.key("token").string(token);
  w.end();
  return finish_query(out, w, query_type::announce_peer, t, read_only);
}

std::string encode_response(std::string_view t, const node_id& self, const peer_address& requester,
                            const std::vector<compact_node>& nodes,
                            const std::vector<peer_address>* values, std::string_view token) {
  // What fits: everything but nodes and values has a fixed size; then as many nodes as fit
  // (in order), and values only when all the nodes fit.
  const std::string ip = compact(requester);
  std::size_t fixed = 0;
  {
    std::string probe;
    bencode::writer w(probe);
    w.begin_dict().key("ip").string(ip).key("r").begin_dict().key("id").string(self.view());
    if (!token.empty()) w.key("token").string(token);
    w.end();
    finish(w, t, "r");
    fixed = probe.size();
  }
  auto nodes_size = [](std::size_t v4, std::size_t v6) {
    return (v4 ? string_entry_size("nodes", v4 * v4_node_size) : 0) +
           (v6 ? string_entry_size("nodes6", v6 * v6_node_size) : 0);
  };
  std::size_t v4 = 0, v6 = 0, kept_nodes = 0;
  for (const compact_node& n : nodes) {
    const bool is_v6 = n.address.is_v6;
    if (fixed + nodes_size(v4 + !is_v6, v6 + is_v6) > max_response_size) break;
    ++(is_v6 ? v6 : v4);
    ++kept_nodes;
  }
  std::size_t kept_values = 0;
  if (values && kept_nodes == nodes.size()) {
    constexpr std::size_t list_overhead = 8 + 2;  // "6:values", "l" and "e"
    std::size_t size = fixed + nodes_size(v4, v6) + list_overhead;
    for (const peer_address& a : *values) {
      const std::size_t entry = a.is_v6 ? 3 + v6_compact_size : 2 + v4_compact_size;
      if (size + entry > max_response_size) break;
      size += entry;
      ++kept_values;
    }
  }

  std::string v4_nodes, v6_nodes;
  v4_nodes.reserve(v4 * v4_node_size);
  v6_nodes.reserve(v6 * v6_node_size);
  for (std::size_t i = 0; i < kept_nodes; ++i) {
    std::string& s = nodes[i].address.is_v6 ? v6_nodes : v4_nodes;
    s.append(nodes[i].id.view());
    append_compact(s, nodes[i].address);
  }

  std::string out;
  bencode::writer w(out);
  w.begin_dict().key("ip").string(ip).key("r").begin_dict();
  w.key("id").string(self.view());
  if (!v4_nodes.empty()) w.key("nodes").string(v4_nodes);
  if (!v6_nodes.empty()) w.key("nodes6").string(v6_nodes);
  if (!token.empty()) w.key("token").string(token);
  if (kept_values > 0) {
    w.key("values").begin_list();
    for (std::size_t i = 0; i < kept_values; ++i) w.string(compact((*values)[i]));
    w.end();
  }
  w.end();
  finish(w, t, "r");
  return out;
}

std::string encode_error(std::string_view t, int code, std::string_view message) {
  std::string out;
  bencode::writer w(out);
  w.begin_dict().key("e").begin_list().integer(code).string(message).end();
  finish(w, t, "e");
  return out;
}

}  // namespace corrent::dht
