// SHA-1 (the v1 info-hash and piece hashes, BEP 3) through OpenSSL's EVP interface,
// which picks SHA-NI or AVX2 code paths where the CPU has them.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace corrent::crypto {

using sha1_digest = std::array<std::uint8_t, 20>;

// For unordered containers keyed by digests (uniformly random already: the first 8 bytes).
struct sha1_digest_hash {
  std::size_t operator()(const sha1_digest& d) const noexcept {
    std::size_t h = 0;
    std::memcpy(&h, d.data(), sizeof h);
    return h;
  }
};

// Incremental hasher; reusable after finish().
class sha1_hasher {
 public:
  sha1_hasher();
  ~sha1_hasher();
  sha1_hasher(const sha1_hasher&) = delete;
  sha1_hasher& operator=(const sha1_hasher&) = delete;

  void update(const void* data, std::size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  sha1_digest finish();  // resets for the next message

 private:
  void* ctx_;  // EVP_MD_CTX*, kept out of this header
};

sha1_digest sha1(std::string_view bytes);

// Lower-case hex of a digest, and back (nullopt unless exactly 40 hex digits).
std::string to_hex(const sha1_digest& d);
// Any bytes as lowercase hex.
std::string to_hex(std::string_view bytes);
std::optional<sha1_digest> sha1_from_hex(std::string_view hex);

inline std::string_view as_bytes(const sha1_digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

}  // namespace corrent::crypto
