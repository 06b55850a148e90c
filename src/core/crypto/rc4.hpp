// crypto::rc4 — the RC4 stream cipher ("ARCFOUR"), which message stream encryption (MSE/PE,
// the Vuze spec) uses for its handshake and, when both sides select it, for the whole peer
// stream. OpenSSL 3 keeps RC4 in its legacy provider, which is not loaded by default (and
// may not be installed), and the algorithm is a few lines, so it lives here. RC4 is not a
// secure cipher; MSE wants obfuscation against traffic shaping, not secrecy.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace corrent::crypto {

// One direction of an RC4 stream: the key schedule, then a keystream XORed into the data.
// A plain value (about 1 KiB): copying it forks the stream at its current position.
// The state is kept as 32-bit words, not bytes, and apply() works 8 bytes at a time: on
// x86-64 that runs about twice as fast as the byte-array textbook loop (bench/RESULTS.md).
class rc4 {
 public:
  // The key schedule over `key`: 1 to 256 bytes. Bytes past the 256th take no part, as in
  // every RC4; an empty key acts as the one-byte key 0x00.
  explicit rc4(std::span<const std::uint8_t> key);
  explicit rc4(std::string_view key);

  // Drops the next n keystream bytes (MSE drops the first 1024).
  void discard(std::size_t n);

  // XORs the next data.size() keystream bytes into data: encrypts and decrypts alike.
  void apply(std::span<std::uint8_t> data);
  void apply(std::span<char> data);

 private:
  std::array<std::uint32_t, 256> s_{};  // a permutation of 0..255
  std::uint32_t i_ = 0;                 // always < 256
  std::uint32_t j_ = 0;                 // always < 256
};

}  // namespace corrent::crypto
