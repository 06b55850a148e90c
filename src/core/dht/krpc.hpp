// dht::krpc — the KRPC codec of the mainline DHT (BEP 5). Each UDP datagram holds one
// bencoded dictionary: a query ("y":"q": method name `q`, arguments `a`), a response
// ("y":"r": return values `r`) or an error ("y":"e": `e` = [code, message]), matched to its
// query by the transaction id `t` the querying node chose. Covers the four BEP 5 queries
// (ping, find_node, get_peers, announce_peer), IPv6 nodes and `want` (BEP 32), the
// requester's address `ip` in responses (BEP 42) and the read-only flag `ro` (BEP 43).
// Sans-I/O: decode() turns bytes into a message, the encode_* functions build the bytes we
// send; sockets, timeouts, routing and tokens belong to the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dht/errc.hpp"
#include "core/dht/node_id.hpp"
#include "core/error.hpp"
#include "core/net/peer_address.hpp"

namespace corrent::dht {

// The client version `v` we put in every message we encode: "CR" and the major and minor
// version as two bytes (corrent 0.1, as the peer id prefix -CR0010-), the way libtorrent
// writes "LT" and two bytes.
inline constexpr std::string_view our_version{"CR\x00\x01", 4};

// Bounds on what decode() keeps of a datagram (and what the encoders assume).
constexpr std::size_t max_datagram_size = 2048;      // default decode_limits::max_datagram_size:
                                                     // above any Ethernet MTU, so nothing real
                                                     // is refused
constexpr std::size_t max_depth = 16;                // nested lists/dictionaries, the message's
                                                     // own dictionary included
constexpr std::size_t max_transaction_size = 16;     // `t`; longer is an error (BEP 5: "short")
constexpr std::size_t max_version_size = 16;         // `v`; longer is ignored
constexpr std::size_t max_token_size = 64;           // `token`; see message::token
constexpr std::size_t max_method_name_size = 32;     // message::q_name keeps at most this much
constexpr std::size_t max_want_entries = 8;          // message::want keeps at most this many
constexpr std::size_t max_error_message_size = 256;  // message::error_message keeps this much

// The largest datagram encode_response() writes. BEP 32 asks for at most 1024 bytes; the
// usual 8 nodes and 8 nodes6 (with ip, token, t and v) take about 700, so only long
// `values` lists come near either bound.
constexpr std::size_t max_response_size = 1400;

// The query methods of BEP 5; anything else is `unknown` (its name in message::q_name).
enum class query_type : std::uint8_t { ping, find_node, get_peers, announce_peer, unknown };

// "ping", "find_node", "get_peers", "announce_peer"; "" for unknown.
std::string_view query_name(query_type q);

// A node's contact as BEP 5 ("compact node info", 26 bytes: id, IPv4, port) and BEP 32
// (38 bytes: id, IPv6, port) encode it.
using compact_node = node_contact;  // node_id.hpp

// One KRPC message, whichever its kind; the fields that do not apply to it keep their
// defaults. Owns all its data (decoding copies out of the datagram).
struct message {
  enum class kind : std::uint8_t { query, response, error } k{};

  // -- every kind
  std::string transaction;     // `t`, at most max_transaction_size bytes
  std::string client_version;  // `v` when a string of at most max_version_size bytes, else ""
  std::optional<net::peer_address> your_ip;  // BEP 42 `ip` (compact: 6 or 18 bytes): our
                                             // address as the sender sees it
  bool read_only = false;                    // BEP 43: `ro` is the integer 1

  // -- query
  query_type q = query_type::unknown;
  std::string q_name;  // `q` as sent (the first max_method_name_size bytes)
  node_id sender;      // `a.id` for a query, `r.id` for a response: always present
  // find_node `target` and get_peers/announce_peer `info_hash` (20 bytes): required by those
  // queries, and kept from any other query that has them, has_* saying so. An unknown
  // method may carry either (BEP 44 `get` and BEP 51 have `target`): libtorrent answers
  // such a query as find_node.
  node_id target;
  bool has_target = false;
  node_id info_hash;
  bool has_info_hash = false;
  std::uint16_t port = 0;     // announce_peer `port` (0 when implied_port and `port` is absent
                              // or invalid)
  bool implied_port = false;  // announce_peer `implied_port` nonzero: use the UDP source port
  // announce_peer `token` (required), or the get_peers response `token`: at most
  // max_token_size bytes (a longer one is an error in a query, ignored in a response).
  std::string token;
  std::vector<std::string> want;  // BEP 32 `want` ("n4", "n6"): its first max_want_entries
                                  // strings, other entries skipped

  // -- response
  // `nodes` (26 bytes each) then `nodes6` (38 bytes each), at most decode_limits::max_nodes
  // in all; a string that is not a whole number of entries is ignored as a whole.
  std::vector<compact_node> nodes;
  // get_peers `values`: its 6-byte (IPv4) and 18-byte (IPv6) strings, mixed as BEP 32 allows,
  // at most decode_limits::max_values; entries of other sizes or types are skipped.
  std::vector<net::peer_address> values;

  // -- error
  int error_code = 0;         // the first element of `e` when an integer that fits an int
  std::string error_message;  // the second when a string (first max_error_message_size bytes)

  friend bool operator==(const message&, const message&) = default;
};

struct decode_limits {
  std::size_t max_datagram_size = dht::max_datagram_size;
  std::size_t max_nodes = 256;   // nodes + nodes6 kept (the first ones)
  std::size_t max_values = 256;  // values kept (the first ones)
};

// What decode() had read of a datagram it rejected. BEP 5 answers a malformed query with
// error 203 ("Protocol Error"), which needs the query's transaction id: `query` is true
// when the datagram was a dictionary with "y":"q" and a valid `t`, now in `transaction`.
struct decode_failure {
  bool query = false;
  std::string transaction;
};

// Decodes one UDP datagram. Lenient like real nodes: keys may come unsorted, unknown keys
// and bytes after the dictionary are ignored, and so is an optional field of the wrong type
// or size (`v`, `ip`, `ro`, `token` or `want` that make no sense; `nodes`/`nodes6` not a
// multiple of 26/38; `values` entries neither 6 nor 18 bytes; an error's `e` that is not
// [integer, string] gives code 0 and/or an empty message). Addresses are kept as sent (port
// 0 too): whether one is usable is the caller's policy. Strict where it matters, with
// these errors:
//   datagram_too_large  above limits.max_datagram_size
//   not_a_dictionary    not one bencoded dictionary nested at most max_depth deep
//   bad_transaction     `t` missing, not a string or longer than max_transaction_size
//   bad_message_type    `y` not "q", "r" or "e"
//   bad_query           `q` not a string, `a` not a dictionary
//   bad_node_id         `a.id` / `r.id` not a 20-byte string
//   bad_argument        find_node without a 20-byte `target`; get_peers or announce_peer
//                       without a 20-byte `info_hash`; announce_peer without a `token`
//                       string of at most max_token_size bytes, or without an integer
//                       `port` in 0..65535 (unless `implied_port` is nonzero)
//   bad_response        `r` not a dictionary
// A response does not say what it answers: decode() fills what is present, and the caller
// finds the query by transaction id. `failure`, when given, is filled on an error.
result<message> decode(std::string_view datagram, const decode_limits& limits = {});
result<message> decode(std::string_view datagram, const decode_limits& limits,
                       decode_failure* failure);

// Queries. Each is a sorted bencoded dictionary with `a` (our id `self` and the arguments),
// `q`, `ro` = 1 when read_only (BEP 43), `t`, `v` = our_version and "y":"q". Keep `t` short
// (BEP 5: 2 bytes are typical): decode() refuses one above max_transaction_size bytes.
std::string encode_ping(std::string_view t, const node_id& self, bool read_only);
// want_v6 adds `want` = ["n4", "n6"]: a dual-stack node asks for both families (BEP 32,
// when bootstrapping); without it the answer carries the family of the socket it came on.
std::string encode_find_node(std::string_view t, const node_id& self, const node_id& target,
                             bool read_only, bool want_v6 = false);
std::string encode_get_peers(std::string_view t, const node_id& self, const node_id& info_hash,
                             bool read_only);
// `implied_port` is written (as 1) only when true; `port` always.
std::string encode_announce_peer(std::string_view t, const node_id& self, const node_id& info_hash,
                                 std::uint16_t port, bool implied_port, std::string_view token,
                                 bool read_only);

// A response: `ip` = the requester's compact address (BEP 42), `r` with our `id`, `nodes`
// (the IPv4 entries of `nodes`, when there are any) and `nodes6` (the IPv6 ones), `token`
// (when not empty) and `values` (when given and not empty: a list of 6- or 18-byte
// strings), `t`, `v` = our_version, "y":"r". A ping or announce_peer answer passes no nodes.
// Never longer than max_response_size: when everything does not fit, `values` are dropped
// from the end first, then `nodes` from the end (of the vector as given, so put the closest
// first), keeping as many as fit. That holds for `t` of at most max_transaction_size bytes
// and a token of at most max_token_size bytes (the rest never needs more than 200 bytes).
std::string encode_response(std::string_view t, const node_id& self,
                            const net::peer_address& requester,
                            const std::vector<compact_node>& nodes,
                            const std::vector<net::peer_address>* values = nullptr,
                            std::string_view token = {});

// BEP 5 error codes.
constexpr int error_generic = 201;
constexpr int error_server = 202;
constexpr int error_protocol = 203;  // malformed packet, invalid argument, bad token
constexpr int error_method_unknown = 204;

// An error: `e` = [code, message], `t`, `v` = our_version, "y":"e".
std::string encode_error(std::string_view t, int code, std::string_view message);

}  // namespace corrent::dht
