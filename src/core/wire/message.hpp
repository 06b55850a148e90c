// wire — the peer wire protocol (BEP 3, fast extension BEP 6, extension protocol BEP 10):
// the 68-byte handshake and length-prefixed messages. Sans-I/O: the io layer moves bytes,
// this code frames and checks them.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "core/crypto/sha1.hpp"

namespace corrent::wire {

constexpr std::size_t handshake_size = 68;
constexpr std::uint32_t block_size = 16 * 1024;  // BEP 3: requests longer than this are refused

using peer_id = std::array<std::uint8_t, 20>;

struct handshake {
  std::array<std::uint8_t, 8> reserved{};
  crypto::sha1_digest info_hash{};
  peer_id id{};

  bool supports_extensions() const { return reserved[5] & 0x10; }  // BEP 10
  bool supports_fast() const { return reserved[7] & 0x04; }        // BEP 6
  bool supports_dht() const { return reserved[7] & 0x01; }         // BEP 5

  friend bool operator==(const handshake&, const handshake&) = default;
};

// The reserved bits corrent sets in its handshake: the extension protocol (BEP 10), the
// fast extension (BEP 6) and, when our DHT node runs, the DHT (BEP 5).
constexpr std::array<std::uint8_t, 8> our_reserved(bool dht = false) {
  std::array<std::uint8_t, 8> r{};
  r[5] |= 0x10;
  r[7] |= 0x04;
  if (dht) r[7] |= 0x01;
  return r;
}

enum class message_type : std::uint8_t {
  keep_alive = 0xff,  // length 0; not a real id
  choke = 0,
  unchoke = 1,
  interested = 2,
  not_interested = 3,
  have = 4,
  bitfield = 5,
  request = 6,
  piece = 7,
  cancel = 8,
  port = 9,
  suggest = 13,
  have_all = 14,
  have_none = 15,
  reject = 16,
  allowed_fast = 17,
  extended = 20,
  unknown = 0xfe,  // an id we do not know: ignored by the session (BEP 3)
};

// One decoded message. Views (payload) point into the decoder's buffer and stay valid
// only until the decoder is next written to (prepare/commit/feed).
struct message {
  message_type type = message_type::keep_alive;
  std::uint32_t piece = 0;       // have, request, piece, cancel, suggest, reject, allowed_fast
  std::uint32_t begin = 0;       // request, piece, cancel, reject
  std::uint32_t length = 0;      // request, cancel, reject; for piece: payload.size()
  std::uint16_t port = 0;        // port
  std::uint8_t extended_id = 0;  // extended
  std::uint8_t raw_id = 0;       // the id byte as received (useful for unknown)
  std::string_view payload;      // bitfield bytes, piece block data, extended payload; for
                                 // unknown: everything after the id byte

  // Field-wise; payloads compare by content.
  friend bool operator==(const message&, const message&) = default;
};

}  // namespace corrent::wire
