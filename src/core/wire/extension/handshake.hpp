// wire::ext handshake — the BEP 10 extended handshake: the bencoded dictionary a peer sends
// as extended message 0 (the payload of wire message 20 after the extended-id byte). It
// says which extensions the peer speaks under which ids (`m`), and carries optional facts
// about it: client name, listen port, request queue size, metadata size (BEP 9), our
// address as it sees it, upload-only (BEP 21). Sans-I/O, like the rest of wire.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/wire/extension/errc.hpp"

namespace corrent::wire::ext {

// Limits decode_handshake applies to what a peer sends.
constexpr std::size_t max_handshake_m_entries = 256;
constexpr std::size_t max_handshake_v_size = 256;
constexpr std::uint32_t min_handshake_reqq = 1;
constexpr std::uint32_t max_handshake_reqq = 100000;

// Owns all its data (decoding copies out of the payload).
struct handshake {
  // Extension name -> the id the sender wants that extension's messages sent to it under.
  // Decoded: the nonzero ids only (0 means "disabled"), in key order, at most
  // max_handshake_m_entries. Encoded: as given, so {name, 0} disables an extension in a
  // later handshake (BEP 10); a repeated name is written once (the first).
  std::vector<std::pair<std::string, std::uint8_t>> m;
  std::string v;                              // client name and version ("" when absent); at most
                                              // max_handshake_v_size bytes kept
  std::optional<std::uint16_t> p;             // their listen port (1..65535 only)
  std::optional<std::uint32_t> reqq;          // their request queue size (clamped to [1, 100000])
  std::optional<std::int64_t> metadata_size;  // BEP 9 (>0 only; the caller caps it)
  std::optional<std::array<std::uint8_t, 4>> ipv4;  // BEP 10 "ipv4": their v4 address
  std::optional<std::array<std::uint8_t, 16>> ipv6;
  std::string yourip;        // our address as they see it: 4 or 16 raw bytes, else empty
  bool upload_only = false;  // BEP 21: `upload_only` integer != 0

  // The id to send `name` messages under; 0 when they do not support it.
  std::uint8_t id_of(std::string_view name) const;

  friend bool operator==(const handshake&, const handshake&) = default;
};

// A bencoded dictionary (keys sorted); `m` always present, the other keys when set
// (v and yourip when non-empty, upload_only as 1 when true).
std::string encode_handshake(const handshake& h);

// Lenient like real clients: unknown keys are ignored, a key of the wrong type or out of
// range is ignored (not an error; reqq is clamped instead), `m` entries whose value is not
// an integer in 0..255 are skipped. Keys may come unsorted (a repeated key is an error, as
// bencode has it). But the payload must start with one bencoded dictionary (bytes after it
// are ignored: some clients pad) of at most max_payload_size bytes and max_payload_depth
// levels of nesting, else errc::payload_too_large / errc::not_a_dictionary.
result<handshake> decode_handshake(std::string_view payload);

}  // namespace corrent::wire::ext
