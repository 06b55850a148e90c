#include "core/dht/krpc.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "core/bencode/encode.hpp"
#include "core/dht/errc.hpp"
#include "core/net/peer_address_print.hpp"

namespace corrent::dht {

// For readable failures; found by argument-dependent lookup.
static void PrintTo(const node_id& id, std::ostream* os) {
  *os << id.hex();
}
static void PrintTo(const compact_node& n, std::ostream* os) {
  *os << n.id.hex() << "@" << n.address.to_string();
}

namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;
using net::peer_address;

// The `v` entry every message we encode carries, for building expected bytes.
const std::string our_v = "1:v4:CR\x00\x01"s;

// A BEP 5 example message as we write it: our `v` before `y` (keys sort t < v < y).
std::string with_v(std::string_view example) {
  const std::size_t y = example.rfind("1:y1:");
  return std::string(example.substr(0, y)) + our_v + std::string(example.substr(y));
}

node_id id(std::string_view twenty) {
  EXPECT_EQ(twenty.size(), 20u) << twenty;
  return node_id::from_bytes(twenty);
}

// An id whose 20 bytes are all `b`.
node_id id_of(char b) {
  return node_id::from_bytes(std::string(20, b));
}

peer_address addr(const char* text) {
  auto a = peer_address::parse(text);
  EXPECT_TRUE(a) << text;
  return a.value_or(peer_address{});
}

message decoded(std::string_view datagram, const decode_limits& limits = {}) {
  auto r = decode(datagram, limits);
  EXPECT_TRUE(r) << r.error().message();
  return r ? *r : message{};
}

void expect_error(std::string_view datagram, errc e, const decode_limits& limits = {}) {
  auto r = decode(datagram, limits);
  ASSERT_FALSE(r) << "accepted: " << datagram;
  EXPECT_EQ(r.error().code, make_error_code(e)) << r.error().message() << " for " << datagram;
}

// n compact v4 (6 bytes) or v6 (18 bytes) addresses: i (1..n) is 10.0.i>>8.i or
// 2001:db8::i, port 6880 + i.
std::string compact_peers(std::size_t n, bool v6) {
  std::string out;
  for (std::size_t i = 1; i <= n; ++i) {
    if (v6)
      out += "\x20\x01\x0d\xb8"s + std::string(10, '\0');
    else
      out += "\x0a\x00"s;
    out += static_cast<char>(i >> 8);
    out += static_cast<char>(i);
    out += static_cast<char>((6880 + i) >> 8);
    out += static_cast<char>((6880 + i) & 0xff);
  }
  return out;
}

// n compact nodes: node i (1..n) has an id of 20 bytes i and the address above.
std::string compact_nodes(std::size_t n, bool v6) {
  std::string out;
  const std::string peers = compact_peers(n, v6);
  const std::size_t size = v6 ? 18 : 6;
  for (std::size_t i = 1; i <= n; ++i)
    out += std::string(20, static_cast<char>(i)) + peers.substr((i - 1) * size, size);
  return out;
}

std::vector<compact_node> nodes_of(std::size_t n, bool v6) {
  std::vector<compact_node> out;
  const std::string peers = compact_peers(n, v6);
  const std::size_t size = v6 ? 18 : 6;
  for (std::size_t i = 1; i <= n; ++i) {
    const std::string_view entry = std::string_view(peers).substr((i - 1) * size, size);
    const auto port = static_cast<std::uint16_t>(static_cast<std::uint8_t>(entry[size - 2]) << 8 |
                                                 static_cast<std::uint8_t>(entry[size - 1]));
    out.push_back(
        {id_of(static_cast<char>(i)), peer_address::from_bytes(entry.substr(0, size - 2), port)});
  }
  return out;
}

std::vector<peer_address> peers_of(std::size_t n, bool v6) {
  std::vector<peer_address> out;
  for (const compact_node& node : nodes_of(n, v6)) out.push_back(node.address);
  return out;
}

// A response dictionary built by hand: `r` holds id then the given raw entries (already
// bencoded key/value pairs, in order).
std::string response(std::string_view r_entries, std::string_view t = "aa") {
  std::string out;
  bencode::writer w(out);
  w.begin_dict().key("r").begin_dict().key("id").string(std::string(20, 'R'));
  w.raw(r_entries).end();
  w.key("t").string(t).key("y").string("r").end();
  return out;
}

std::string str(std::string_view s) {
  std::string out;
  bencode::writer(out).string(s);
  return out;
}

const node_id abc = id("abcdefghij0123456789");
const node_id mno = id("mnopqrstuvwxyz123456");

// ---------------------------------------------------------------------------------------
// The BEP 5 examples, decoded as given and encoded as given plus our `v` (and, in
// responses, the BEP 42 `ip` of the requester).

TEST(Krpc, DecodesTheBep5Examples) {
  const message ping = decoded("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe");
  EXPECT_EQ(ping.k, message::kind::query);
  EXPECT_EQ(ping.transaction, "aa");
  EXPECT_EQ(ping.q, query_type::ping);
  EXPECT_EQ(ping.q_name, "ping");
  EXPECT_EQ(ping.sender, abc);
  EXPECT_EQ(ping.client_version, "");
  EXPECT_FALSE(ping.read_only);
  EXPECT_FALSE(ping.your_ip);

  const message pong = decoded("d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re");
  EXPECT_EQ(pong.k, message::kind::response);
  EXPECT_EQ(pong.transaction, "aa");
  EXPECT_EQ(pong.sender, mno);
  EXPECT_TRUE(pong.nodes.empty());
  EXPECT_TRUE(pong.values.empty());
  EXPECT_TRUE(pong.token.empty());

  const message find = decoded(
      "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:"
      "y1:qe");
  EXPECT_EQ(find.q, query_type::find_node);
  EXPECT_EQ(find.sender, abc);
  EXPECT_EQ(find.target, mno);
  EXPECT_TRUE(find.has_target);
  EXPECT_FALSE(find.has_info_hash);

  // "def456..." stands for compact node info: 9 bytes are no whole node, so none.
  const message found =
      decoded("d1:rd2:id20:0123456789abcdefghij5:nodes9:def456...e1:t2:aa1:y1:re");
  EXPECT_EQ(found.sender, id("0123456789abcdefghij"));
  EXPECT_TRUE(found.nodes.empty());

  const message get = decoded(
      "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:"
      "aa1:y1:qe");
  EXPECT_EQ(get.q, query_type::get_peers);
  EXPECT_EQ(get.info_hash, mno);
  EXPECT_TRUE(get.has_info_hash);

  const message peers = decoded(
      "d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:"
      "re");
  EXPECT_EQ(peers.token, "aoeusnth");
  EXPECT_EQ(peers.values, (std::vector<peer_address>{addr("97.120.106.101:11893"),
                                                     addr("105.100.104.116:28269")}));

  const message closest =
      decoded("d1:rd2:id20:abcdefghij01234567895:nodes9:def456...5:token8:aoeusnthe1:t2:aa1:y1:re");
  EXPECT_EQ(closest.token, "aoeusnth");
  EXPECT_TRUE(closest.nodes.empty());

  // (The BEP's bencoded announce_peer has no implied_port, though its JSON has one.)
  const message announce = decoded(
      "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:"
      "aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe");
  EXPECT_EQ(announce.q, query_type::announce_peer);
  EXPECT_EQ(announce.sender, abc);
  EXPECT_EQ(announce.info_hash, mno);
  EXPECT_EQ(announce.port, 6881);
  EXPECT_FALSE(announce.implied_port);
  EXPECT_EQ(announce.token, "aoeusnth");

  const message error = decoded("d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee");
  EXPECT_EQ(error.k, message::kind::error);
  EXPECT_EQ(error.transaction, "aa");
  EXPECT_EQ(error.error_code, 201);
  EXPECT_EQ(error.error_message, "A Generic Error Ocurred");
}

TEST(Krpc, EncodesTheBep5QueriesByteForByte) {
  EXPECT_EQ(encode_ping("aa", abc, false),
            with_v("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"));
  EXPECT_EQ(encode_find_node("aa", abc, mno, false),
            with_v("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_"
                   "node1:t2:aa1:y1:qe"));
  EXPECT_EQ(encode_get_peers("aa", abc, mno, false),
            with_v("d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_"
                   "peers1:t2:aa1:y1:qe"));
  EXPECT_EQ(encode_announce_peer("aa", abc, mno, 6881, false, "aoeusnth", false),
            with_v("d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti6881e"
                   "5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe"));
  // The JSON form of the example, with "implied_port": 1.
  EXPECT_EQ(encode_announce_peer("aa", abc, mno, 6881, true, "aoeusnth", false),
            with_v("d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:"
                   "mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:"
                   "y1:qe"));
  EXPECT_EQ(encode_error("aa", error_generic, "A Generic Error Ocurred"),
            with_v("d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee"));
}

TEST(Krpc, EncodesTheBep5ResponsesByteForByteWithIp) {
  // Requester 1.2.3.4:6881 -> `ip` = 01 02 03 04 1a e1, the first key.
  const std::string ip = "d2:ip6:\x01\x02\x03\x04\x1a\xe1"s;
  const peer_address requester = addr("1.2.3.4:6881");
  EXPECT_EQ(encode_response("aa", mno, requester, {}),
            ip + with_v("1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re"));

  const std::vector<peer_address> values{addr("97.120.106.101:11893"),
                                         addr("105.100.104.116:28269")};
  EXPECT_EQ(encode_response("aa", abc, requester, {}, &values, "aoeusnth"),
            ip + with_v("1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:"
                        "idhtnmee1:t2:aa1:y1:re"));

  // A real node string in place of "def456...".
  const std::vector<compact_node> nodes{{id("0123456789abcdefghij"), addr("5.6.7.8:258")}};
  EXPECT_EQ(encode_response("aa", abc, requester, nodes, nullptr, "aoeusnth"),
            ip + with_v("1:rd2:id20:abcdefghij01234567895:nodes26:0123456789abcdefghij"
                        "\x05\x06\x07\x08\x01\x02"
                        "5:token8:aoeusnthe1:t2:aa1:y1:re"));
}

// ---------------------------------------------------------------------------------------
// Round trips

TEST(Krpc, RoundTripsEveryQuery) {
  const node_id self = id_of('\x11');
  const node_id target = id_of('\xfe');
  const std::string t = "\x00\xff"s;

  for (bool ro : {false, true}) {
    message ping = decoded(encode_ping(t, self, ro));
    EXPECT_EQ(ping.k, message::kind::query);
    EXPECT_EQ(ping.transaction, t);
    EXPECT_EQ(ping.client_version, our_version);
    EXPECT_EQ(ping.read_only, ro);
    EXPECT_EQ(ping.q, query_type::ping);
    EXPECT_EQ(ping.sender, self);

    for (bool want_v6 : {false, true}) {
      const message find = decoded(encode_find_node(t, self, target, ro, want_v6));
      EXPECT_EQ(find.q, query_type::find_node);
      EXPECT_EQ(find.q_name, "find_node");
      EXPECT_EQ(find.read_only, ro);
      EXPECT_EQ(find.sender, self);
      EXPECT_EQ(find.target, target);
      const std::vector<std::string> want =
          want_v6 ? std::vector<std::string>{"n4", "n6"} : std::vector<std::string>{};
      EXPECT_EQ(find.want, want);
    }

    const message get = decoded(encode_get_peers(t, self, target, ro));
    EXPECT_EQ(get.q, query_type::get_peers);
    EXPECT_EQ(get.read_only, ro);
    EXPECT_EQ(get.info_hash, target);
    EXPECT_FALSE(get.has_target);

    for (bool implied : {false, true}) {
      const std::string token = "\x00\x01\x02\x03"s;
      const message announce =
          decoded(encode_announce_peer(t, self, target, 65535, implied, token, ro));
      EXPECT_EQ(announce.q, query_type::announce_peer);
      EXPECT_EQ(announce.read_only, ro);
      EXPECT_EQ(announce.sender, self);
      EXPECT_EQ(announce.info_hash, target);
      EXPECT_EQ(announce.port, 65535);
      EXPECT_EQ(announce.implied_port, implied);
      EXPECT_EQ(announce.token, token);
    }
  }
  // An empty transaction id is still one (BEP 5 only asks for a short string).
  EXPECT_EQ(decoded(encode_ping("", self, false)).transaction, "");
  EXPECT_EQ(decoded(encode_ping(std::string(16, 'x'), self, false)).transaction.size(), 16u);
}

TEST(Krpc, RoundTripsEveryResponse) {
  const node_id self = id_of('\x42');
  const peer_address requester = addr("[2001:db8::7]:51413");

  // ping / announce_peer: just the id (and ip).
  message expected;
  expected.k = message::kind::response;
  expected.transaction = "pn";
  expected.client_version = std::string(our_version);
  expected.your_ip = requester;
  expected.sender = self;
  EXPECT_EQ(decoded(encode_response("pn", self, requester, {})), expected);

  // find_node: 8 v4 and 8 v6 nodes (given interleaved; decoded v4 first).
  std::vector<compact_node> nodes;
  const auto v4 = nodes_of(8, false);
  const auto v6 = nodes_of(8, true);
  for (std::size_t i = 0; i < 8; ++i) {
    nodes.push_back(v6[i]);
    nodes.push_back(v4[i]);
  }
  expected.transaction = "fn";
  expected.nodes = v4;
  expected.nodes.insert(expected.nodes.end(), v6.begin(), v6.end());
  EXPECT_EQ(decoded(encode_response("fn", self, requester, nodes)), expected);

  // get_peers with values (mixed families, as BEP 32 lets a dual-stack node read) and token.
  std::vector<peer_address> values = peers_of(20, false);
  const auto values6 = peers_of(5, true);
  values.insert(values.end(), values6.begin(), values6.end());
  expected.transaction = "gp";
  expected.nodes = v4;
  expected.token = "\x01\x02\x03\x04"s;
  expected.values = values;
  const std::string bytes = encode_response("gp", self, requester, v4, &values, expected.token);
  EXPECT_LE(bytes.size(), max_response_size);
  EXPECT_EQ(decoded(bytes), expected);

  // An empty values list is left out.
  const std::vector<peer_address> none;
  const std::string no_values = encode_response("gp", self, requester, {}, &none, "tok");
  EXPECT_EQ(no_values.find("values"), std::string::npos);
}

TEST(Krpc, RoundTripsErrors) {
  for (int code : {error_generic, error_server, error_protocol, error_method_unknown}) {
    const message e = decoded(encode_error("\x12\x34"s, code, "Method Unknown"));
    EXPECT_EQ(e.k, message::kind::error);
    EXPECT_EQ(e.transaction, "\x12\x34"s);
    EXPECT_EQ(e.client_version, our_version);
    EXPECT_EQ(e.error_code, code);
    EXPECT_EQ(e.error_message, "Method Unknown");
  }
  EXPECT_EQ(encode_error("t", 203, ""), "d1:eli203e0:e1:t1:t" + our_v + "1:y1:ee");
}

// ---------------------------------------------------------------------------------------
// What real nodes send

TEST(Krpc, DecodesLibtorrentGetPeersResponse) {
  // libtorrent: `ip` first, nodes and values together, a 4-byte token, "LT" version.
  const std::string datagram =
      "d2:ip6:\x5d\xb8\xd8\x22\xc8\xd5"
      "1:rd2:id20:\xeb\xff\x36\x69\x73\x51\xff\x4a\xec\x29\xcd\xba\xab\xf2\xfb\xe3\x46\x7c\xc2\x67"
      "5:nodes52:"s +
      compact_nodes(2, false) + "5:token4:\xde\xad\xbe\xef"s +
      "6:valuesl6:\x4e\x2f\x10\x05\xc8\xd5"s + "6:\xc0\xa8\x01\x0a\x1a\xe1"s + "ee1:t2:\x9a\x3b"s +
      "1:v4:LT\x01\x02"s + "1:y1:re";
  const message m = decoded(datagram);
  EXPECT_EQ(m.k, message::kind::response);
  EXPECT_EQ(m.your_ip, addr("93.184.216.34:51413"));
  EXPECT_EQ(m.sender.hex(), "ebff36697351ff4aec29cdbaabf2fbe3467cc267");
  EXPECT_EQ(m.nodes, nodes_of(2, false));
  EXPECT_EQ(m.token, "\xde\xad\xbe\xef"s);
  EXPECT_EQ(m.values,
            (std::vector<peer_address>{addr("78.47.16.5:51413"), addr("192.168.1.10:6881")}));
  EXPECT_EQ(m.transaction, "\x9a\x3b"s);
  EXPECT_EQ(m.client_version, "LT\x01\x02"s);
}

TEST(Krpc, DecodesTransmissionFindNodeWithWantAndNodes6Answer) {
  // Transmission (jech/dht): 4-byte transaction ids, `want` n4 and n6 when bootstrapping.
  const message q =
      decoded("d1:ad2:id20:" + std::string(20, '\x07') + "6:target20:" + std::string(20, '\x08') +
              "4:wantl2:n42:n6ee1:q9:find_node1:t4:fn\x00\x01"s + "1:v4:TR\x03\x00"s + "1:y1:qe");
  EXPECT_EQ(q.q, query_type::find_node);
  EXPECT_EQ(q.transaction, "fn\x00\x01"s);
  EXPECT_EQ(q.want, (std::vector<std::string>{"n4", "n6"}));
  EXPECT_EQ(q.client_version, "TR\x03\x00"s);

  const message r =
      decoded("d1:rd2:id20:" + std::string(20, '\x09') + "5:nodes52:" + compact_nodes(2, false) +
              "6:nodes676:" + compact_nodes(2, true) + "e1:t4:fn\x00\x01"s + "1:v4:TR\x03\x00"s +
              "1:y1:re");
  std::vector<compact_node> both = nodes_of(2, false);
  const auto v6 = nodes_of(2, true);
  both.insert(both.end(), v6.begin(), v6.end());
  EXPECT_EQ(r.nodes, both);
  EXPECT_EQ(r.nodes[2].address.to_string(), "[2001:db8::1]:6881");
}

TEST(Krpc, DecodesIpv6Values) {
  const message m =
      decoded(response("5:token8:12345678"
                       "6:valuesl" +
                       str(compact_peers(1, true)) + str(compact_peers(1, false)) + "e"));
  EXPECT_EQ(m.values,
            (std::vector<peer_address>{addr("[2001:db8::1]:6881"), addr("10.0.0.1:6881")}));
}

TEST(Krpc, DecodesAria2Ping) {
  const message m = decoded("d1:ad2:id20:" + std::string(20, 'A') + "e1:q4:ping1:t2:\x00\x05"s +
                            "1:v4:A2\x00\x03"s + "1:y1:qe");
  EXPECT_EQ(m.q, query_type::ping);
  EXPECT_EQ(m.client_version, "A2\x00\x03"s);
}

// ---------------------------------------------------------------------------------------
// BEP 42 `ip`, BEP 43 `ro`

TEST(Krpc, ReadsAndWritesBep42Ip) {
  const std::string v4 = response("", "aa");
  const std::string body = v4.substr(1);
  EXPECT_EQ(decoded("d2:ip6:\x7c\x1f\x4b\x15\x1a\xe1"s + body).your_ip, addr("124.31.75.21:6881"));
  EXPECT_EQ(decoded("d2:ip18:"s + compact_peers(1, true) + body).your_ip,
            addr("[2001:db8::1]:6881"));
  // Other sizes and types are ignored.
  EXPECT_FALSE(decoded("d2:ip4:\x01\x02\x03\x04"s + body).your_ip);
  EXPECT_FALSE(decoded("d2:ipi1e"s + body).your_ip);
  // Errors may carry it too (a node enforcing BEP 42 answers with one).
  EXPECT_EQ(decoded("d1:eli203e4:nopee2:ip6:\x01\x02\x03\x04\x00\x50"s + "1:t1:x1:y1:ee").your_ip,
            addr("1.2.3.4:80"));

  const std::string out = encode_response("aa", id_of('r'), addr("[::ffff:1.2.3.4]:1"), {});
  EXPECT_EQ(out.substr(0, 26), "d2:ip18:\0\0\0\0\0\0\0\0\0\0\xff\xff\x01\x02\x03\x04\x00\x01"sv);
  EXPECT_EQ(decoded(out).your_ip, addr("[::ffff:1.2.3.4]:1"));
}

TEST(Krpc, ReadsAndWritesBep43ReadOnly) {
  EXPECT_EQ(encode_ping("aa", abc, true),
            "d1:ad2:id20:abcdefghij0123456789e1:q4:ping2:roi1e1:t2:aa" + our_v + "1:y1:qe");
  const std::string head = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping";
  const std::string tail = "1:t2:aa1:y1:qe";
  EXPECT_TRUE(decoded(head + "2:roi1e" + tail).read_only);
  EXPECT_FALSE(decoded(head + "2:roi0e" + tail).read_only);
  EXPECT_FALSE(decoded(head + "2:roi2e" + tail).read_only);
  EXPECT_FALSE(decoded(head + "2:ro1:1" + tail).read_only);
  EXPECT_FALSE(decoded(head + tail).read_only);
}

// ---------------------------------------------------------------------------------------
// Leniency

TEST(Krpc, IgnoresUnknownKeysUnsortedKeysAndTrailingBytes) {
  // Unsorted, unknown keys at both levels (BEP 33 `noseed`, BEP 44-ish nested junk), padding.
  const message m = decoded(
      "d1:y1:q1:t2:aa1:q9:get_peers3:zzzd1:xli1eee1:ad9:info_hash20:mnopqrstuvwxyz1234566:"
      "noseedi1e2:id20:abcdefghij0123456789ee\0\0junk"sv);
  EXPECT_EQ(m.q, query_type::get_peers);
  EXPECT_EQ(m.sender, abc);
  EXPECT_EQ(m.info_hash, mno);
}

TEST(Krpc, IgnoresNodeStringsThatAreNotWholeEntries) {
  const std::string v4 = compact_nodes(2, false);
  const std::string v6 = compact_nodes(1, true);
  // nodes 53 bytes: ignored; nodes6 still read.
  message m = decoded(response("5:nodes" + str(v4 + "x") + "6:nodes6" + str(v6)));
  EXPECT_EQ(m.nodes, nodes_of(1, true));
  // A v6 entry under `nodes` (38 bytes) and a v4 pair under `nodes6` (52 bytes) are not
  // whole entries of their key's size.
  m = decoded(response("5:nodes" + str(v6) + "6:nodes6" + str(v4)));
  EXPECT_TRUE(m.nodes.empty());
  // The size is read per key: 78 bytes are three nodes under `nodes`, none under `nodes6`.
  m = decoded(response("5:nodes" + str(compact_nodes(3, false))));
  EXPECT_EQ(m.nodes, nodes_of(3, false));
  m = decoded(response("6:nodes6" + str(compact_nodes(3, false))));
  EXPECT_TRUE(m.nodes.empty());
  // Wrong types.
  m = decoded(response("5:nodesi1e6:nodes6le"));
  EXPECT_TRUE(m.nodes.empty());
  // Empty strings are no nodes.
  m = decoded(response("5:nodes0:6:nodes60:"));
  EXPECT_TRUE(m.nodes.empty());
}

TEST(Krpc, SkipsValuesOfOtherSizesAndTypes) {
  const message m = decoded(response("6:valuesl5:abcdei6e" + str(compact_peers(1, false)) +
                                     "le7:abcdefg" + str(compact_peers(1, true)) + "0:e"));
  EXPECT_EQ(m.values,
            (std::vector<peer_address>{addr("10.0.0.1:6881"), addr("[2001:db8::1]:6881")}));
  EXPECT_TRUE(decoded(response("6:values6:abcdef")).values.empty());  // not a list
  // Port 0 and unusable addresses are kept: the caller judges them.
  const message zero = decoded(response("6:valuesl6:\0\0\0\0\0\0e"s));
  ASSERT_EQ(zero.values.size(), 1u);
  EXPECT_FALSE(zero.values[0].is_usable());
}

TEST(Krpc, IgnoresOptionalFieldsThatMakeNoSense) {
  const std::string body = "1:rd2:id20:" + std::string(20, 'R') + "e1:t2:aa";
  // `v` longer than 16 bytes or not a string.
  EXPECT_EQ(decoded("d" + body + "1:v17:" + std::string(17, 'v') + "1:y1:re").client_version, "");
  EXPECT_EQ(decoded("d" + body + "1:v16:" + std::string(16, 'v') + "1:y1:re").client_version,
            std::string(16, 'v'));
  EXPECT_EQ(decoded("d" + body + "1:vi1e1:y1:re").client_version, "");
  // A response token longer than max_token_size, or not a string.
  EXPECT_EQ(decoded(response("5:token" + str(std::string(65, 't')))).token, "");
  EXPECT_EQ(decoded(response("5:token" + str(std::string(64, 't')))).token, std::string(64, 't'));
  EXPECT_EQ(decoded(response("5:tokeni5e")).token, "");
  // `want` entries that are not strings; at most max_want_entries kept.
  const message want = decoded(
      "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz1234564:wantli4e2:n6d1:xi1ee"
      "2:n4ee1:q9:find_node1:t2:aa1:y1:qe");
  EXPECT_EQ(want.want, (std::vector<std::string>{"n6", "n4"}));
  std::string many = "l";
  for (int i = 0; i < 20; ++i) many += "2:n" + std::to_string(i % 10);
  many += "e";
  const message capped =
      decoded("d1:ad2:id20:abcdefghij01234567896:target20:" + std::string(20, 'x') + "4:want" +
              many + "e1:q9:find_node1:t2:aa1:y1:qe");
  EXPECT_EQ(capped.want.size(), max_want_entries);
  EXPECT_EQ(decoded("d1:ad2:id20:abcdefghij01234567896:target20:" + std::string(20, 'x') +
                    "4:want2:n6e1:q9:find_node1:t2:aa1:y1:qe")
                .want,
            std::vector<std::string>{});
}

TEST(Krpc, AcceptsErrorsOfAnyShape) {
  // Some nodes send errors without `e`, or with it in another shape: still an error.
  const message bare = decoded("d1:t2:aa1:y1:ee");
  EXPECT_EQ(bare.k, message::kind::error);
  EXPECT_EQ(bare.error_code, 0);
  EXPECT_EQ(bare.error_message, "");
  EXPECT_EQ(decoded("d1:ed1:ci201ee1:t2:aa1:y1:ee").error_code, 0);
  EXPECT_EQ(decoded("d1:ele1:t2:aa1:y1:ee").error_code, 0);
  EXPECT_EQ(decoded("d1:eli203ee1:t2:aa1:y1:ee").error_code, 203);
  const message swapped = decoded("d1:el3:badi203ee1:t2:aa1:y1:ee");
  EXPECT_EQ(swapped.error_code, 0);
  EXPECT_EQ(swapped.error_message, "");
  EXPECT_EQ(decoded("d1:eli99999999999e1:xe1:t2:aa1:y1:ee").error_code, 0);  // no int
  EXPECT_EQ(decoded("d1:eli-1e1:xe1:t2:aa1:y1:ee").error_code, -1);
  const message long_message =
      decoded("d1:eli201e1000:" + std::string(1000, 'm') + "e1:t2:aa1:y1:ee");
  EXPECT_EQ(long_message.error_message, std::string(max_error_message_size, 'm'));
}

TEST(Krpc, KeepsUnknownQueriesWithTheirNameAndTargets) {
  // BEP 44 `get` has a target: libtorrent answers unknown queries with one as find_node.
  const message get = decoded(
      "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e"
      "1:q3:get1:t2:aa1:y1:qe");
  EXPECT_EQ(get.q, query_type::unknown);
  EXPECT_EQ(get.q_name, "get");
  EXPECT_TRUE(get.has_target);
  EXPECT_EQ(get.target, mno);
  EXPECT_FALSE(get.has_info_hash);

  const message vote = decoded("d1:ad2:id20:abcdefghij0123456789e1:q" + std::to_string(100) + ":" +
                               std::string(100, 'q') + "1:t2:aa1:y1:qe");
  EXPECT_EQ(vote.q, query_type::unknown);
  EXPECT_EQ(vote.q_name, std::string(max_method_name_size, 'q'));
  EXPECT_FALSE(vote.has_target);
  EXPECT_EQ(query_name(query_type::unknown), "");
  // Method names are case sensitive.
  EXPECT_EQ(decoded("d1:ad2:id20:abcdefghij0123456789e1:q4:PING1:t2:aa1:y1:qe").q,
            query_type::unknown);
}

TEST(Krpc, AnnouncePeerWithImpliedPortNeedsNoPort) {
  const std::string head =
      "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:"
      "mnopqrstuvwxyz123456";
  const std::string tail = "5:token2:tke1:q13:announce_peer1:t2:aa1:y1:qe";
  message m = decoded(head + tail);
  EXPECT_TRUE(m.implied_port);
  EXPECT_EQ(m.port, 0);
  m = decoded(head + "4:porti70000e" + tail);  // out of range: ignored, as it would be
  EXPECT_EQ(m.port, 0);
  m = decoded(head + "4:porti6881e" + tail);
  EXPECT_EQ(m.port, 6881);
  EXPECT_TRUE(m.implied_port);
  // implied_port 0 or not an integer: the port is needed.
  expect_error(
      "d1:ad2:id20:abcdefghij012345678912:implied_porti0e9:info_hash20:"
      "mnopqrstuvwxyz123456" +
          tail,
      errc::bad_argument);
  expect_error(
      "d1:ad2:id20:abcdefghij012345678912:implied_port1:19:info_hash20:"
      "mnopqrstuvwxyz123456" +
          tail,
      errc::bad_argument);
}

// ---------------------------------------------------------------------------------------
// Errors

TEST(Krpc, RejectsWhatIsNotADictionary) {
  for (std::string_view bad : {""sv, "le"sv, "i0e"sv, "4:ping"sv, "x"sv, "d1:t2:aa"sv,
                               "d1:t2:aa1:t2:bb1:y1:ee"sv /* duplicate key */,
                               "d1:ad2:id20:abcdefghij0123456789e1:q4:pi"sv /* truncated */}) {
    expect_error(bad, errc::not_a_dictionary);
  }
  // Nested deeper than max_depth.
  std::string deep = "d1:t2:aa1:y1:e1:z";
  for (std::size_t i = 0; i < max_depth; ++i) deep += "l";
  for (std::size_t i = 0; i < max_depth; ++i) deep += "e";
  expect_error(deep + "e", errc::not_a_dictionary);
  std::string ok = "d1:t2:aa1:y1:e1:z";
  for (std::size_t i = 1; i < max_depth; ++i) ok += "l";
  for (std::size_t i = 1; i < max_depth; ++i) ok += "e";
  EXPECT_TRUE(decode(ok + "e"));
}

TEST(Krpc, RejectsBadTransactionIds) {
  expect_error("d1:y1:ee", errc::bad_transaction);
  expect_error("d1:ti1e1:y1:ee", errc::bad_transaction);
  expect_error("d1:tl2:aae1:y1:ee", errc::bad_transaction);
  expect_error("d1:t17:" + std::string(17, 't') + "1:y1:ee", errc::bad_transaction);
  EXPECT_EQ(decoded("d1:t16:" + std::string(16, 't') + "1:y1:ee").transaction,
            std::string(16, 't'));
}

TEST(Krpc, RejectsBadMessageTypes) {
  expect_error("d1:t2:aae", errc::bad_message_type);
  for (std::string_view y : {"0:"sv, "1:x"sv, "2:qq"sv, "1:Q"sv, "i1e"sv, "l1:qe"sv})
    expect_error("d1:t2:aa1:y" + std::string(y) + "e", errc::bad_message_type);
}

TEST(Krpc, RejectsMalformedQueries) {
  const std::string id = "2:id20:abcdefghij0123456789";
  expect_error("d1:ad" + id + "e1:t2:aa1:y1:qe", errc::bad_query);  // no q
  expect_error("d1:ad" + id + "e1:qi1e1:t2:aa1:y1:qe", errc::bad_query);
  expect_error("d1:q4:ping1:t2:aa1:y1:qe", errc::bad_query);  // no a
  expect_error("d1:al" + id + "e1:q4:ping1:t2:aa1:y1:qe", errc::bad_query);
  expect_error("d1:ade1:q4:ping1:t2:aa1:y1:qe", errc::bad_node_id);
  expect_error("d1:ad2:id19:abcdefghij012345678e1:q4:ping1:t2:aa1:y1:qe", errc::bad_node_id);
  expect_error("d1:ad2:id21:abcdefghij0123456789Xe1:q4:ping1:t2:aa1:y1:qe", errc::bad_node_id);
  expect_error("d1:ad2:idi1ee1:q4:ping1:t2:aa1:y1:qe", errc::bad_node_id);
  // Even an unknown method needs the sender's id.
  expect_error("d1:ade1:q3:get1:t2:aa1:y1:qe", errc::bad_node_id);

  expect_error("d1:ad" + id + "e1:q9:find_node1:t2:aa1:y1:qe", errc::bad_argument);
  expect_error(
      "d1:ad" + id + "6:target19:" + std::string(19, 'x') + "e1:q9:find_node1:t2:aa1:y1:qe",
      errc::bad_argument);
  expect_error("d1:ad" + id + "e1:q9:get_peers1:t2:aa1:y1:qe", errc::bad_argument);
  expect_error("d1:ad" + id + "9:info_hashi0ee1:q9:get_peers1:t2:aa1:y1:qe", errc::bad_argument);

  const std::string ih = "9:info_hash20:mnopqrstuvwxyz123456";
  const std::string tail = "e1:q13:announce_peer1:t2:aa1:y1:qe";
  expect_error("d1:ad" + id + "4:porti1e5:token1:x" + tail, errc::bad_argument);  // no info_hash
  expect_error("d1:ad" + id + ih + "5:token1:x" + tail, errc::bad_argument);      // no port
  expect_error("d1:ad" + id + ih + "4:porti-1e5:token1:x" + tail, errc::bad_argument);
  expect_error("d1:ad" + id + ih + "4:porti65536e5:token1:x" + tail, errc::bad_argument);
  expect_error("d1:ad" + id + ih + "4:port4:68815:token1:x" + tail, errc::bad_argument);
  expect_error("d1:ad" + id + ih + "4:porti1e" + tail, errc::bad_argument);  // no token
  expect_error("d1:ad" + id + ih + "4:porti1e5:tokeni1e" + tail, errc::bad_argument);
  expect_error("d1:ad" + id + ih + "4:porti1e5:token65:" + std::string(65, 'x') + tail,
               errc::bad_argument);
  EXPECT_EQ(decoded("d1:ad" + id + ih + "4:porti0e5:token0:" + tail).port, 0);
}

TEST(Krpc, RejectsMalformedResponses) {
  expect_error("d1:t2:aa1:y1:re", errc::bad_response);
  expect_error("d1:rl2:ide1:t2:aa1:y1:re", errc::bad_response);
  expect_error("d1:rde1:t2:aa1:y1:re", errc::bad_node_id);
  expect_error("d1:rd2:id3:abce1:t2:aa1:y1:re", errc::bad_node_id);
  // The message `y` says decides: a query's `a` does not make a response.
  expect_error("d1:ad2:id20:abcdefghij0123456789e1:t2:aa1:y1:re", errc::bad_response);
}

TEST(Krpc, ReportsTheTransactionOfARejectedQuery) {
  decode_failure f;
  auto r = decode("d1:ad2:id20:abcdefghij0123456789e1:q9:get_peers1:t2:xy1:y1:qe", {}, &f);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::bad_argument));
  EXPECT_EQ(r.error().message(),
            "KRPC: missing or invalid query argument: get_peers: no 20-byte "
            "`info_hash`");
  EXPECT_TRUE(f.query);
  EXPECT_EQ(f.transaction, "xy");
  // That is what the error reply needs.
  const message reply = decoded(encode_error(f.transaction, error_protocol, r.error().detail));
  EXPECT_EQ(reply.transaction, "xy");
  EXPECT_EQ(reply.error_code, 203);

  // Not a query, or no usable `t`: nothing to answer.
  EXPECT_FALSE(decode("d1:rde1:t2:xy1:y1:re", {}, &f));
  EXPECT_FALSE(f.query);
  EXPECT_EQ(f.transaction, "");
  EXPECT_FALSE(decode("d1:ade1:q4:ping1:t17:" + std::string(17, 't') + "1:y1:qe", {}, &f));
  EXPECT_FALSE(f.query);
  EXPECT_FALSE(decode("garbage", {}, &f));
  EXPECT_FALSE(f.query);

  // Cleared on success.
  f.query = true;
  f.transaction = "old";
  EXPECT_TRUE(decode(encode_ping("aa", abc, false), {}, &f));
  EXPECT_FALSE(f.query);
  EXPECT_EQ(f.transaction, "");
}

// ---------------------------------------------------------------------------------------
// Bounds

TEST(Krpc, RejectsADatagramAboveTheLimit) {
  // A valid message padded (with an unknown key) to exactly the limit, then one more byte.
  auto padded = [](std::size_t size) {
    const std::string head = "d1:t2:aa1:y1:e1:z";
    const std::string tail = "e";
    std::string pad_len = "0:";
    std::size_t n = size - head.size() - tail.size();
    // n = digits + 1 + payload
    for (std::size_t digits = 1; digits < 6; ++digits) {
      if (n > digits + 1 && std::to_string(n - digits - 1).size() == digits) {
        pad_len = std::to_string(n - digits - 1) + ":" + std::string(n - digits - 1, 'p');
        break;
      }
    }
    return head + pad_len + tail;
  };
  const std::string at_limit = padded(max_datagram_size);
  ASSERT_EQ(at_limit.size(), max_datagram_size);
  EXPECT_TRUE(decode(at_limit));
  const std::string above = padded(max_datagram_size + 1);
  ASSERT_EQ(above.size(), max_datagram_size + 1);
  expect_error(above, errc::datagram_too_large);

  decode_limits small;
  small.max_datagram_size = 100;
  expect_error(padded(101), errc::datagram_too_large, small);
  EXPECT_TRUE(decode(padded(100), small));
}

TEST(Krpc, KeepsAtMostMaxNodesAndMaxValues) {
  // With the default 2048-byte datagrams no message holds 256 nodes (78 at most) or 256
  // values (about 250 v4); with larger datagrams allowed, the caps hold.
  decode_limits big;
  big.max_datagram_size = 64 * 1024;
  const std::string many = response("5:nodes" + str(compact_nodes(200, false)) + "6:nodes6" +
                                    str(compact_nodes(200, true)) + "6:valuesl" +
                                    [] {
                                      std::string l;
                                      const std::string peers = compact_peers(300, false);
                                      for (std::size_t i = 0; i < 300; ++i)
                                        l += str(peers.substr(i * 6, 6));
                                      return l;
                                    }() +
                                    "e");
  const message m = decoded(many, big);
  ASSERT_EQ(m.nodes.size(), 256u);  // 200 v4 then the first 56 v6
  EXPECT_EQ(m.nodes[199], nodes_of(200, false)[199]);
  EXPECT_EQ(m.nodes[200], nodes_of(1, true)[0]);
  EXPECT_EQ(m.nodes[255], nodes_of(56, true)[55]);
  ASSERT_EQ(m.values.size(), 256u);
  EXPECT_EQ(m.values[255], peers_of(256, false)[255]);

  decode_limits few = big;
  few.max_nodes = 3;
  few.max_values = 1;
  const message f = decoded(many, few);
  EXPECT_EQ(f.nodes, nodes_of(3, false));
  EXPECT_EQ(f.values, peers_of(1, false));
  few.max_nodes = 0;
  few.max_values = 0;
  const message none = decoded(many, few);
  EXPECT_TRUE(none.nodes.empty());
  EXPECT_TRUE(none.values.empty());
  EXPECT_EQ(none.sender, id_of('R'));
}

TEST(Krpc, CapsTheResponseSizeDroppingValuesFirst) {
  const node_id self = id_of('S');
  const peer_address requester = addr("[2001:db8::1]:6881");
  const std::string t(max_transaction_size, 't');
  const std::string token(max_token_size, 'k');
  std::vector<compact_node> nodes = nodes_of(8, false);
  const auto v6 = nodes_of(8, true);
  nodes.insert(nodes.end(), v6.begin(), v6.end());

  for (bool values_v6 : {false, true}) {
    const std::vector<peer_address> values = peers_of(200, values_v6);
    const std::string out = encode_response(t, self, requester, nodes, &values, token);
    EXPECT_LE(out.size(), max_response_size);
    const message m = decoded(out);
    EXPECT_EQ(m.nodes, nodes);  // every node kept
    ASSERT_GT(m.values.size(), 0u);
    ASSERT_LT(m.values.size(), 200u);
    // The first values, as many as fit: one more would not.
    EXPECT_EQ(m.values,
              std::vector<peer_address>(
                  values.begin(), values.begin() + static_cast<std::ptrdiff_t>(m.values.size())));
    EXPECT_GT(out.size() + (values_v6 ? 21 : 8), max_response_size);
    EXPECT_EQ(m.token, token);
    EXPECT_EQ(m.transaction, t);
  }

  // Without t, token or ip to spare, 200 v4 values alone: still capped.
  const std::vector<peer_address> values = peers_of(200, false);
  const std::string lean = encode_response("a", self, addr("1.2.3.4:1"), {}, &values);
  EXPECT_LE(lean.size(), max_response_size);
  EXPECT_GT(lean.size() + 8, max_response_size);

  // Too many nodes: the values go first, then nodes from the end.
  const std::vector<compact_node> lots = nodes_of(100, false);
  const std::string crowded = encode_response(t, self, requester, lots, &values, token);
  EXPECT_LE(crowded.size(), max_response_size);
  const message c = decoded(crowded);
  EXPECT_TRUE(c.values.empty());
  ASSERT_GT(c.nodes.size(), 0u);
  ASSERT_LT(c.nodes.size(), 100u);
  EXPECT_EQ(c.nodes, nodes_of(c.nodes.size(), false));
  EXPECT_GT(crowded.size() + 26, max_response_size);
  EXPECT_EQ(crowded.find("6:values"), std::string::npos);
}

TEST(Krpc, EveryEncodedMessageDecodes) {
  // The encoders' output within the decoder's bounds, for the longest allowed inputs.
  const std::string t(max_transaction_size, '\xff');
  const std::string token(max_token_size, '\0');
  for (const std::string& out :
       {encode_ping(t, abc, true), encode_find_node(t, abc, mno, true, true),
        encode_get_peers(t, abc, mno, true),
        encode_announce_peer(t, abc, mno, 1, true, token, true),
        encode_error(t, error_method_unknown, std::string(max_error_message_size, 'e'))}) {
    EXPECT_LE(out.size(), max_response_size);
    EXPECT_TRUE(decode(out)) << out;
  }
}

}  // namespace
}  // namespace corrent::dht
