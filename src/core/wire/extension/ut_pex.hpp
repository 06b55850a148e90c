// wire::ext ut_pex — BEP 11 peer exchange: a bencoded dictionary of peers the sender has
// connected to (added, with a flags byte each) and disconnected from (dropped) since its
// last message, as compact strings: 6 bytes per IPv4 peer, 18 per IPv6 peer (address and
// port, network byte order). The payload of wire message 20 after the extended-id byte
// (the id the peer gave "ut_pex" in its extended handshake). Sans-I/O, like the rest of
// wire.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/net/peer_address.hpp"
#include "core/wire/extension/errc.hpp"

namespace corrent::wire::ext {

// pex_peer::flags bits (BEP 11).
constexpr std::uint8_t pex_encryption = 0x01;  // prefers encryption
constexpr std::uint8_t pex_seed = 0x02;        // seed or upload-only
constexpr std::uint8_t pex_utp = 0x04;         // supports uTP
constexpr std::uint8_t pex_holepunch = 0x08;   // supports ut_holepunch
constexpr std::uint8_t pex_reachable = 0x10;   // outgoing connection: reachable

struct pex_peer {
  net::peer_address address;
  std::uint8_t flags = 0;  // 0x01 encryption, 0x02 seed, 0x04 utp, 0x08 holepunch, 0x10 reachable

  friend bool operator==(const pex_peer&, const pex_peer&) = default;
};

// Owns all its data (decoding copies out of the payload).
struct pex_message {
  std::vector<pex_peer> added;             // from `added` (+`added.f`) and `added6` (+`added6.f`)
  std::vector<net::peer_address> dropped;  // from `dropped` and `dropped6`

  friend bool operator==(const pex_message&, const pex_message&) = default;
};

// v4 peers to added/added.f/dropped, v6 to added6/added6.f/dropped6; all six keys present
// (empty lists as empty strings). Writes every peer given: keeping to BEP 11's 50 added
// and 50 dropped per message is the caller's part.
std::string encode_pex(const pex_message& m);

// Lenient, as libtorrent: a compact string whose length is not a multiple of 6 (v4) or
// 18 (v6), or a key of the wrong type, is ignored as a whole; a flags string shorter than
// its peers gives the rest flags 0; entries with port 0 are skipped (whether an address is
// usable, e.g. net::peer_address::is_usable, is the caller's policy). At most `max_peers`
// added and `max_peers` dropped are kept per family, the first ones (v4 before v6 in the
// result); the rest are ignored. Unknown keys and bytes after the dictionary are ignored.
// Errors: not a bencoded dictionary within the bounds in errc.hpp.
result<pex_message> decode_pex(std::string_view payload, std::size_t max_peers = 200);

}  // namespace corrent::wire::ext
