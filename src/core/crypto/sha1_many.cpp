#include "core/crypto/sha1_many.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#define CORRENT_SHA1_X16 1
// GCC 12's AVX-512 headers build vectors from _mm512_undefined_*(), which its
// (maybe-)uninitialized warnings flag at every inlined use.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#endif

namespace corrent::crypto {
namespace {

constexpr std::size_t lanes = 16;
constexpr std::size_t block = 64;

#if CORRENT_SHA1_X16

// FIPS 180-4 SHA-1 compression of `blocks` 64-byte blocks in each of 16 lanes: lane i
// reads from data[i] (advanced by 64 per block), its state is h[0..4][i]. Each round is
// the scalar round on 16 lanes at once; f is one ternary-logic instruction (0xCA =
// choose, 0x96 = parity, 0xE8 = majority), the rotations are single instructions.
__attribute__((target("avx512f,avx512bw,avx512vl"))) void compress_x16(
    std::uint32_t h[5][lanes], const unsigned char* data[lanes], std::size_t blocks) {
  const __m512i bswap =
      _mm512_broadcast_i32x4(_mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
  // Third transpose stage: 128-bit chunks of two vectors, interleaved / halves joined.
  const __m512i mix_lo = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
  const __m512i mix_hi =
      _mm512_setr_epi32(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
  const __m512i join_lo = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
  const __m512i join_hi =
      _mm512_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
  __m512i a = _mm512_loadu_si512(h[0]), b = _mm512_loadu_si512(h[1]);
  __m512i c = _mm512_loadu_si512(h[2]), d = _mm512_loadu_si512(h[3]);
  __m512i e = _mm512_loadu_si512(h[4]);
  for (std::size_t n = 0; n < blocks; ++n) {
    // Load one block per lane and transpose 16x16 words: w[t] = word t of every lane.
    __m512i r[16], t[16], w[16];
    for (std::size_t i = 0; i < lanes; ++i) r[i] = _mm512_loadu_si512(data[i] + n * block);
    for (int i = 0; i < 16; i += 2) {
      t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
      t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {  // r[4g+j]: word 4c+j of lanes 4g..4g+3, chunk c
      r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
      r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
      r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
      r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    for (int j = 0; j < 4; ++j) {
      const __m512i x0 = _mm512_permutex2var_epi32(r[j], mix_lo, r[4 + j]);
      const __m512i x1 = _mm512_permutex2var_epi32(r[j], mix_hi, r[4 + j]);
      const __m512i y0 = _mm512_permutex2var_epi32(r[8 + j], mix_lo, r[12 + j]);
      const __m512i y1 = _mm512_permutex2var_epi32(r[8 + j], mix_hi, r[12 + j]);
      w[j] = _mm512_shuffle_epi8(_mm512_permutex2var_epi32(x0, join_lo, y0), bswap);
      w[4 + j] = _mm512_shuffle_epi8(_mm512_permutex2var_epi32(x0, join_hi, y0), bswap);
      w[8 + j] = _mm512_shuffle_epi8(_mm512_permutex2var_epi32(x1, join_lo, y1), bswap);
      w[12 + j] = _mm512_shuffle_epi8(_mm512_permutex2var_epi32(x1, join_hi, y1), bswap);
    }
    const __m512i a0 = a, b0 = b, c0 = c, d0 = d, e0 = e;
// Lambdas would not inherit the target attribute: the round and schedule are macros.
// SCHEDULE(i): w[i] for i >= 16, in place in the 16-word window.
#define CORRENT_SCHEDULE(i)                                                                     \
  (w[(i)&15] = _mm512_rol_epi32(                                                                \
       _mm512_xor_si512(                                                                        \
           _mm512_ternarylogic_epi32(w[((i)-3) & 15], w[((i)-8) & 15], w[((i)-14) & 15], 0x96), \
           w[(i)&15]),                                                                          \
       1))
#define CORRENT_ROUND(fn, k, wi)                                                            \
  do {                                                                                      \
    const __m512i sum = _mm512_add_epi32(                                                   \
        _mm512_add_epi32(_mm512_rol_epi32(a, 5), _mm512_ternarylogic_epi32(b, c, d, fn)),   \
        _mm512_add_epi32(_mm512_add_epi32(e, _mm512_set1_epi32(static_cast<int>(k))), wi)); \
    e = d;                                                                                  \
    d = c;                                                                                  \
    c = _mm512_rol_epi32(b, 30);                                                            \
    b = a;                                                                                  \
    a = sum;                                                                                \
  } while (0)
    for (int i = 0; i < 16; ++i) CORRENT_ROUND(0xCA, 0x5A827999u, w[i]);
    for (int i = 16; i < 20; ++i) CORRENT_ROUND(0xCA, 0x5A827999u, CORRENT_SCHEDULE(i));
    for (int i = 20; i < 40; ++i) CORRENT_ROUND(0x96, 0x6ED9EBA1u, CORRENT_SCHEDULE(i));
    for (int i = 40; i < 60; ++i) CORRENT_ROUND(0xE8, 0x8F1BBCDCu, CORRENT_SCHEDULE(i));
    for (int i = 60; i < 80; ++i) CORRENT_ROUND(0x96, 0xCA62C1D6u, CORRENT_SCHEDULE(i));
#undef CORRENT_ROUND
#undef CORRENT_SCHEDULE
    a = _mm512_add_epi32(a, a0);
    b = _mm512_add_epi32(b, b0);
    c = _mm512_add_epi32(c, c0);
    d = _mm512_add_epi32(d, d0);
    e = _mm512_add_epi32(e, e0);
  }
  _mm512_storeu_si512(h[0], a);
  _mm512_storeu_si512(h[1], b);
  _mm512_storeu_si512(h[2], c);
  _mm512_storeu_si512(h[3], d);
  _mm512_storeu_si512(h[4], e);
}

bool cpu_has_x16() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl");
  return has;
}

#else

bool cpu_has_x16() {
  return false;
}

#endif

}  // namespace

bool sha1_many_vectorized() {
  return cpu_has_x16();
}

std::size_t sha1_batch_size(std::int64_t length, std::int64_t max_bytes) {
  if (!cpu_has_x16()) return 1;
  const auto fit = static_cast<std::size_t>(max_bytes / std::max<std::int64_t>(1, length));
  const std::size_t n = std::min(fit, lanes);
  return n >= min_vector_lanes ? n : 1;
}

namespace detail {

bool sha1_x16(std::span<const std::string_view> messages, std::span<sha1_digest> out) {
#if CORRENT_SHA1_X16
  if (!cpu_has_x16() || messages.empty() || messages.size() > lanes) return false;
  const std::size_t size = messages[0].size();
  std::uint32_t h[5][lanes];
  static constexpr std::uint32_t init[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476,
                                            0xC3D2E1F0};
  for (std::size_t j = 0; j < 5; ++j) std::fill(h[j], h[j] + lanes, init[j]);
  // Unused lanes hash the first message again; their results are dropped.
  const unsigned char* data[lanes];
  for (std::size_t i = 0; i < lanes; ++i) {
    data[i] = reinterpret_cast<const unsigned char*>(messages[i < messages.size() ? i : 0].data());
  }
  const std::size_t full = size / block;
  if (full > 0) compress_x16(h, data, full);
  // The tail: the last size % 64 bytes, 0x80, zeros, the length in bits (big-endian),
  // in one block or, when the length does not fit after the bytes, two.
  const std::size_t rest = size % block;
  const std::size_t tail_blocks = rest < block - 8 ? 1 : 2;
  std::vector<unsigned char> tails(lanes * 2 * block, 0);
  const std::uint64_t bits = static_cast<std::uint64_t>(size) * 8;
  for (std::size_t i = 0; i < lanes; ++i) {
    unsigned char* tail = tails.data() + i * 2 * block;
    if (rest > 0) std::memcpy(tail, data[i] + full * block, rest);
    tail[rest] = 0x80;
    for (std::size_t k = 0; k < 8; ++k) {
      tail[tail_blocks * block - 1 - k] = static_cast<unsigned char>(bits >> (8 * k));
    }
    data[i] = tail;
  }
  compress_x16(h, data, tail_blocks);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    for (std::size_t j = 0; j < 5; ++j) {
      for (std::size_t k = 0; k < 4; ++k) {
        out[i][4 * j + k] = static_cast<std::uint8_t>(h[j][i] >> (24 - 8 * k));
      }
    }
  }
  return true;
#else
  (void)messages;
  (void)out;
  return false;
#endif
}

}  // namespace detail

void sha1_many(std::span<const std::string_view> messages, std::span<sha1_digest> out) {
  if (messages.size() < min_vector_lanes || !cpu_has_x16()) {
    for (std::size_t i = 0; i < messages.size(); ++i) out[i] = sha1(messages[i]);
    return;
  }
  // Group by length (stable: equal messages stay in order), 16 at a time.
  std::vector<std::size_t> order(messages.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    return messages[x].size() < messages[y].size();
  });
  std::array<std::string_view, lanes> group;
  std::array<sha1_digest, lanes> digests;
  for (std::size_t at = 0; at < order.size();) {
    std::size_t n = 1;
    while (n < lanes && at + n < order.size() &&
           messages[order[at + n]].size() == messages[order[at]].size()) {
      ++n;
    }
    if (n < min_vector_lanes) {
      for (std::size_t i = 0; i < n; ++i) out[order[at + i]] = sha1(messages[order[at + i]]);
    } else {
      for (std::size_t i = 0; i < n; ++i) group[i] = messages[order[at + i]];
      detail::sha1_x16(std::span(group.data(), n), std::span(digests.data(), n));
      for (std::size_t i = 0; i < n; ++i) out[order[at + i]] = digests[i];
    }
    at += n;
  }
}

}  // namespace corrent::crypto
