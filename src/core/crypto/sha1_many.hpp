// SHA-1 of many messages at once: the piece hashes of a batch of pieces (download,
// verify). OpenSSL hashes one message per core at a time (SHA-NI: ~2.2 GB/s here) and
// offers no multi-message interface; with AVX-512 sixteen messages are hashed side by
// side, one per 32-bit lane of a vector (~5.4 GB/s for 16 equal messages on the same
// core). v1 pieces all have the torrent's piece length but the last, so a batch is
// almost always one length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/crypto/sha1.hpp"

namespace corrent::crypto {

// out[i] = sha1(messages[i]); out.size() must equal messages.size(). Messages of one
// length go through the 16-lane code in groups of 16 (a group of at least
// min_vector_lanes, below which OpenSSL is faster), the rest one by one through OpenSSL.
void sha1_many(std::span<const std::string_view> messages, std::span<sha1_digest> out);

// Whether this CPU (and OS) has the 16-lane path: AVX-512 F, BW and VL.
bool sha1_many_vectorized();

// A 16-lane group costs the same with 1 message as with 16; SHA-NI wins below ~7.
inline constexpr std::size_t min_vector_lanes = 7;

// How many messages of `length` bytes to hash together within `max_bytes`: as many as
// fit, at most 16; 1 (one at a time) without the 16-lane path or when fewer than
// min_vector_lanes fit.
std::size_t sha1_batch_size(std::int64_t length, std::int64_t max_bytes);

namespace detail {
// The 16-lane path for 1..16 messages of one length; false (out untouched) without
// AVX-512. For tests, which check it against OpenSSL for any lane count.
bool sha1_x16(std::span<const std::string_view> messages, std::span<sha1_digest> out);
}  // namespace detail

}  // namespace corrent::crypto
