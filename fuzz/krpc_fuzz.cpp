// Fuzz target: dht::decode (BEP 5 KRPC, with BEP 32/42/43). The input is one UDP datagram.
// Properties: no crash or out-of-bounds read; an accepted message honours the decoder's
// bounds; decoding it with smaller node/value caps keeps a prefix of the same lists; and
// re-encoding it with the encoder for its kind (a 204 error for an unknown method) gives a
// datagram of at most max_response_size bytes that decodes back to the same fields (for a
// response: a prefix of the values, and of the nodes, all nodes kept when a value is).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/dht/krpc.hpp"

namespace dht = corrent::dht;

namespace {

template <class T>
bool is_prefix(const std::vector<T>& part, const std::vector<T>& whole) {
  return part.size() <= whole.size() && std::equal(part.begin(), part.end(), whole.begin());
}

void require(bool ok) {
  if (!ok) std::abort();
}

void check_bounds(const dht::message& m, const dht::decode_limits& limits) {
  require(m.transaction.size() <= dht::max_transaction_size);
  require(m.client_version.size() <= dht::max_version_size);
  require(m.q_name.size() <= dht::max_method_name_size);
  require(m.want.size() <= dht::max_want_entries);
  require(m.token.size() <= dht::max_token_size);
  require(m.nodes.size() <= limits.max_nodes);
  require(m.values.size() <= limits.max_values);
  require(m.error_message.size() <= dht::max_error_message_size);
  // nodes: the v4 ones (from `nodes`) before the v6 ones (from `nodes6`).
  require(std::is_partitioned(m.nodes.begin(), m.nodes.end(),
                              [](const dht::compact_node& n) { return !n.address.is_v6; }));
  if (m.k != dht::message::kind::response) require(m.nodes.empty() && m.values.empty());
}

dht::message decode_ours(const std::string& bytes) {
  require(bytes.size() <= dht::max_response_size);
  auto r = dht::decode(bytes);
  require(r.has_value());
  require(r->client_version == dht::our_version);
  return *r;
}

void check_reencoded_query(const dht::message& m) {
  std::string bytes;
  switch (m.q) {
    case dht::query_type::ping:
      bytes = dht::encode_ping(m.transaction, m.sender, m.read_only);
      break;
    case dht::query_type::find_node: {
      const bool want_v6 = std::find(m.want.begin(), m.want.end(), "n6") != m.want.end();
      bytes = dht::encode_find_node(m.transaction, m.sender, m.target, m.read_only, want_v6);
      break;
    }
    case dht::query_type::get_peers:
      bytes = dht::encode_get_peers(m.transaction, m.sender, m.info_hash, m.read_only);
      break;
    case dht::query_type::announce_peer:
      bytes = dht::encode_announce_peer(m.transaction, m.sender, m.info_hash, m.port,
                                        m.implied_port, m.token, m.read_only);
      break;
    case dht::query_type::unknown: {
      const dht::message e = decode_ours(
          dht::encode_error(m.transaction, dht::error_method_unknown, "Method Unknown"));
      require(e.k == dht::message::kind::error && e.transaction == m.transaction &&
              e.error_code == dht::error_method_unknown && e.error_message == "Method Unknown");
      return;
    }
  }
  const dht::message back = decode_ours(bytes);
  require(back.k == dht::message::kind::query);
  require(back.q == m.q && back.q_name == m.q_name);
  require(back.transaction == m.transaction && back.read_only == m.read_only);
  require(back.sender == m.sender);
  // Each encoder writes its own query's arguments (a ping's stray info_hash is dropped).
  if (m.q == dht::query_type::find_node) require(back.has_target && back.target == m.target);
  if (m.q == dht::query_type::get_peers || m.q == dht::query_type::announce_peer)
    require(back.has_info_hash && back.info_hash == m.info_hash);
  if (m.q == dht::query_type::announce_peer) {
    require(back.port == m.port && back.implied_port == m.implied_port && back.token == m.token);
  }
}

void check_reencoded_response(const dht::message& m) {
  const corrent::net::peer_address requester = m.your_ip.value_or(corrent::net::peer_address{});
  const std::string bytes =
      dht::encode_response(m.transaction, m.sender, requester, m.nodes, &m.values, m.token);
  const dht::message back = decode_ours(bytes);
  require(back.k == dht::message::kind::response);
  require(back.transaction == m.transaction && back.sender == m.sender);
  require(back.your_ip == requester && back.token == m.token && !back.read_only);
  require(is_prefix(back.nodes, m.nodes) && is_prefix(back.values, m.values));
  if (!back.values.empty()) require(back.nodes.size() == m.nodes.size());
  // Trimmed only when the next entry would not fit (its cost is at least its compact size,
  // plus the list's own bytes for the first value).
  if (back.nodes.size() < m.nodes.size()) {
    const bool v6 = m.nodes[back.nodes.size()].address.is_v6;
    require(bytes.size() + (v6 ? 38 : 26) > dht::max_response_size);
  } else if (back.values.size() < m.values.size()) {
    const bool v6 = m.values[back.values.size()].is_v6;
    const std::size_t list = back.values.empty() ? 10 : 0;  // "6:values", "l", "e"
    require(bytes.size() + (v6 ? 21 : 8) + list > dht::max_response_size);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  dht::decode_failure failure;
  const dht::decode_limits limits;
  auto r = dht::decode(in, limits, &failure);
  if (!r) {
    require(failure.transaction.size() <= dht::max_transaction_size);
    if (!failure.query) require(failure.transaction.empty());
    return 0;
  }
  require(!failure.query && failure.transaction.empty());
  const dht::message& m = *r;
  check_bounds(m, limits);

  dht::decode_limits small;
  small.max_nodes = 3;
  small.max_values = 2;
  auto capped = dht::decode(in, small);
  require(capped.has_value());
  check_bounds(*capped, small);
  require(is_prefix(capped->nodes, m.nodes) && is_prefix(capped->values, m.values));
  require(capped->nodes.size() == std::min<std::size_t>(m.nodes.size(), 3));
  require(capped->values.size() == std::min<std::size_t>(m.values.size(), 2));

  switch (m.k) {
    case dht::message::kind::query:
      check_reencoded_query(m);
      break;
    case dht::message::kind::response:
      check_reencoded_response(m);
      break;
    case dht::message::kind::error: {
      const dht::message back =
          decode_ours(dht::encode_error(m.transaction, m.error_code, m.error_message));
      require(back.k == dht::message::kind::error && back.transaction == m.transaction &&
              back.error_code == m.error_code && back.error_message == m.error_message);
      break;
    }
  }
  return 0;
}
