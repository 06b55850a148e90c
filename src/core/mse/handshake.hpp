// The wire facts of message stream encryption (MSE/PE: the Vuze "Message Stream Encryption"
// spec by Ludde, uau, The_8472, Parg and Nolar) that both sides of the handshake share.
// A is the side that opened the connection (mse::initiator), B the side that accepted it
// (mse::responder):
//   1 A->B  Ya, PadA
//   2 B->A  Yb, PadB
//   3 A->B  HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S),
//           ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
//   4 B->A  ENCRYPT(VC, crypto_select, len(PadD), PadD), ENCRYPT2(payload stream)
//   5 A->B  ENCRYPT2(payload stream)
// HASH is SHA-1, SKEY the info-hash, VC 8 zero bytes, ENCRYPT RC4 keyed with
// HASH('keyA', S, SKEY) for A's bytes and HASH('keyB', S, SKEY) for B's (first 1024
// keystream bytes dropped), ENCRYPT2 that same RC4 stream continued when crypto_select is
// rc4, and nothing when it is plaintext. Lengths are 2 bytes, the crypto fields 4, all
// big-endian.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/mse/dh.hpp"

namespace corrent::mse {

// The methods of crypto_provide / crypto_select, as their bits. The other 30 bits are
// reserved: ignored when received. (Not named `crypto`, which is corrent::crypto.)
enum class method : std::uint8_t { plaintext = 0x01, rc4 = 0x02 };

constexpr std::uint32_t bit(method m) {
  return static_cast<std::uint32_t>(m);
}
constexpr std::uint32_t all_methods = bit(method::plaintext) | bit(method::rc4);

constexpr std::size_t max_padding = 512;            // PadA, PadB, PadC, PadD: 0 to 512 bytes
constexpr std::size_t vc_size = 8;                  // VC
constexpr std::size_t max_initial_payload = 65535;  // IA: len(IA) is 2 bytes

// Where each side must have found its synchronisation point, counted in bytes of the
// peer's stream from its first byte. The responder's: HASH('req1', S) after Ya and at most
// 512 bytes of PadA, so ending within 96 + 512 + 20 = 628 bytes (the spec: "if A didn't
// send the correct S hash within 628 bytes after the connection start").
constexpr std::size_t responder_sync_limit = key_size + max_padding + 20;
// The initiator's: ENCRYPT(VC) after Yb and at most 512 bytes of PadB, so ending within
// 96 + 512 + 8 = 616 bytes. The spec's list of early terminations says "within 516 bytes",
// which contradicts its own PadB of up to 512 bytes; libtorrent and Transmission accept
// the full 512 bytes of PadB, and so do we.
constexpr std::size_t initiator_sync_limit = key_size + max_padding + vc_size;

// The first 20 bytes of a plain BitTorrent handshake (BEP 3): the length byte 19, then
// "BitTorrent protocol".
inline constexpr std::string_view plain_header{
    "\x13"
    "BitTorrent protocol",
    20};

// Whether an incoming connection is a plain BitTorrent handshake rather than an MSE one:
// its first bytes start with plain_header. Read at least 20 bytes before asking (an MSE
// public key is 96, so waiting for 20 costs nothing); with fewer this is false. A public
// key starts with these 20 bytes once in 2^160.
constexpr bool looks_like_plain_bittorrent(std::string_view first_bytes) {
  return first_bytes.substr(0, plain_header.size()) == plain_header;
}

}  // namespace corrent::mse
