// mse::dh — the Diffie-Hellman exchange of message stream encryption (MSE/PE): the 768-bit
// safe prime P of the Vuze spec and generator G = 2. Public keys and the shared secret S
// travel and are hashed as 96 bytes, big-endian, left-padded with zeros. The private key
// is the caller's: 160 random bits, the length the spec recommends.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/error.hpp"

namespace corrent::mse {

constexpr std::size_t key_size = 96;  // 768 bits

using dh_key = std::array<std::uint8_t, key_size>;  // a public key Y, or the secret S
using private_key = std::array<std::uint8_t, 20>;   // X: 160 random bits, big-endian

// Y = G^X mod P.
dh_key public_key(const private_key& x);

// S = peer^X mod P. errc::bad_public_key unless 2 <= peer <= P-2: 0, 1 and P-1 (and
// anything not below P) would give a secret an observer can guess.
result<dh_key> shared_secret(const private_key& x, const dh_key& peer);

}  // namespace corrent::mse
