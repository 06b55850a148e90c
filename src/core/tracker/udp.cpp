#include "core/tracker/udp.hpp"

#include <algorithm>

#include "core/tracker/errc.hpp"
#include "core/tracker/peer_list.hpp"

namespace corrent::tracker::udp {
namespace {

error fail(errc e, std::string detail) {
  return error{make_error_code(e), std::move(detail)};
}

// Big-endian writes into a fixed buffer; BEP 15 has no other byte order.
class packet_writer {
 public:
  explicit packet_writer(char* out) : out_(out) {}
  packet_writer& u16(std::uint16_t v) { return put(v, 2); }
  packet_writer& u32(std::uint32_t v) { return put(v, 4); }
  packet_writer& u64(std::uint64_t v) { return put(v, 8); }
  packet_writer& bytes(const std::array<std::uint8_t, 20>& b) {
    for (std::uint8_t c : b) *out_++ = static_cast<char>(c);
    return *this;
  }

 private:
  packet_writer& put(std::uint64_t v, int size) {
    for (int shift = 8 * (size - 1); shift >= 0; shift -= 8) {
      *out_++ = static_cast<char>((v >> shift) & 0xff);
    }
    return *this;
  }
  char* out_;
};

std::uint32_t read_u32(std::string_view p, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(p[at + i]);
  return v;
}

std::uint64_t read_u64(std::string_view p, std::size_t at) {
  return (std::uint64_t{read_u32(p, at)} << 32) | read_u32(p, at + 4);
}

std::string hex(std::uint32_t v) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "0x00000000";
  for (std::size_t i = 9; i >= 2; --i, v >>= 4) out[i] = digits[v & 0xf];
  return out;
}

// Every reply starts with action (4) and transaction id (4). A reply to someone else's
// request (stale retransmission, spoofing) is refused before anything else is read.
struct reply {
  action act;
  std::string_view body;  // after the 8-byte header; for action::error, the message
};

result<reply> read_reply(std::string_view packet, std::uint32_t transaction_id) {
  if (packet.size() < 8) {
    return fail(errc::bad_packet, "reply of " + std::to_string(packet.size()) + " bytes");
  }
  const std::uint32_t got = read_u32(packet, 4);
  if (got != transaction_id) {
    return fail(errc::bad_packet,
                "transaction id " + hex(got) + ", expected " + hex(transaction_id));
  }
  return reply{static_cast<action>(read_u32(packet, 0)), packet.substr(8)};
}

error wrong_action(action got, action expected) {
  return fail(errc::bad_packet, "action " + std::to_string(static_cast<std::uint32_t>(got)) +
                                    ", expected " +
                                    std::to_string(static_cast<std::uint32_t>(expected)));
}

error too_short(std::string_view what, std::size_t size, std::size_t needed) {
  return fail(errc::bad_packet, std::string(what) + " reply of " + std::to_string(size + 8) +
                                    " bytes, needs " + std::to_string(needed + 8));
}

}  // namespace

std::array<char, 16> encode_connect(std::uint32_t transaction_id) {
  std::array<char, 16> out{};
  packet_writer(out.data())
      .u64(protocol_id)
      .u32(static_cast<std::uint32_t>(action::connect))
      .u32(transaction_id);
  return out;
}

result<std::uint64_t> parse_connect(std::string_view packet, std::uint32_t transaction_id) {
  auto r = read_reply(packet, transaction_id);
  if (!r) return r.error();
  if (r->act == action::error) return fail(errc::tracker_error, std::string(r->body));
  if (r->act != action::connect) return wrong_action(r->act, action::connect);
  if (r->body.size() < 8) return too_short("connect", r->body.size(), 8);
  return read_u64(r->body, 0);
}

std::array<char, 98> encode_announce(std::uint64_t connection_id, std::uint32_t transaction_id,
                                     const announce_request& req) {
  std::array<char, 98> out{};
  packet_writer(out.data())
      .u64(connection_id)
      .u32(static_cast<std::uint32_t>(action::announce))
      .u32(transaction_id)
      .bytes(req.info_hash)
      .bytes(req.peer_id)
      .u64(static_cast<std::uint64_t>(std::max<std::int64_t>(req.downloaded, 0)))
      .u64(static_cast<std::uint64_t>(std::max<std::int64_t>(req.left, 0)))
      .u64(static_cast<std::uint64_t>(std::max<std::int64_t>(req.uploaded, 0)))
      .u32(static_cast<std::uint32_t>(req.ev))
      .u32(0)  // IP address: 0 = the sender's
      .u32(req.key)
      .u32(static_cast<std::uint32_t>(req.numwant))  // -1 (0xffffffff) = tracker's default
      .u16(req.port);
  return out;
}

result<announce_response> parse_announce(std::string_view packet, std::uint32_t transaction_id,
                                         bool ipv6, const response_limits& limits) {
  auto r = read_reply(packet, transaction_id);
  if (!r) return r.error();
  announce_response out;
  if (r->act == action::error) {
    out.failure_reason = std::string(r->body);
    return out;
  }
  if (r->act != action::announce) return wrong_action(r->act, action::announce);
  if (r->body.size() < 12) return too_short("announce", r->body.size(), 12);
  // A zero interval would make the announce loop spin; keep the default then.
  if (const std::uint32_t interval = read_u32(r->body, 0); interval > 0) out.interval = interval;
  out.incomplete = read_u32(r->body, 4);
  out.complete = read_u32(r->body, 8);

  const std::string_view peers = r->body.substr(12);
  const std::size_t entry_size = ipv6 ? 18 : 6;
  if (peers.size() % entry_size != 0) {
    return fail(errc::bad_peers, std::to_string(peers.size()) +
                                     " bytes of peers, not a multiple of " +
                                     std::to_string(entry_size));
  }
  peer_list list(limits.max_peers);
  list.add_compact(peers, ipv6);
  out.peers = std::move(list).take();
  return out;
}

std::string encode_scrape(std::uint64_t connection_id, std::uint32_t transaction_id,
                          const std::vector<crypto::sha1_digest>& info_hashes) {
  std::string out(16 + 20 * info_hashes.size(), '\0');
  packet_writer w(out.data());
  w.u64(connection_id).u32(static_cast<std::uint32_t>(action::scrape)).u32(transaction_id);
  for (const auto& h : info_hashes) w.bytes(h);
  return out;
}

result<std::vector<scrape_entry>> parse_scrape(std::string_view packet,
                                               std::uint32_t transaction_id,
                                               std::size_t expected_count) {
  auto r = read_reply(packet, transaction_id);
  if (!r) return r.error();
  if (r->act == action::error) return fail(errc::tracker_error, std::string(r->body));
  if (r->act != action::scrape) return wrong_action(r->act, action::scrape);
  if (r->body.size() / 12 < expected_count) {
    return too_short("scrape", r->body.size(), 12 * expected_count);
  }
  std::vector<scrape_entry> out(expected_count);
  for (std::size_t i = 0; i < expected_count; ++i) {
    out[i].complete = read_u32(r->body, 12 * i);
    out[i].downloaded = read_u32(r->body, 12 * i + 4);
    out[i].incomplete = read_u32(r->body, 12 * i + 8);
  }
  return out;
}

}  // namespace corrent::tracker::udp
