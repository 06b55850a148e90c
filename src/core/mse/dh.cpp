#include "core/mse/dh.hpp"

#include <openssl/bn.h>

#include <memory>
#include <new>

#include "core/mse/errc.hpp"

namespace corrent::mse {
namespace {

// The MSE prime (the spec's "0xFFFFFFFFFFFFFFFFC90FDAA2...0000000000090563").
constexpr dh_key prime{
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xC9, 0x0F, 0xDA, 0xA2, 0x21, 0x68, 0xC2, 0x34,
    0xC4, 0xC6, 0x62, 0x8B, 0x80, 0xDC, 0x1C, 0xD1, 0x29, 0x02, 0x4E, 0x08, 0x8A, 0x67, 0xCC, 0x74,
    0x02, 0x0B, 0xBE, 0xA6, 0x3B, 0x13, 0x9B, 0x22, 0x51, 0x4A, 0x08, 0x79, 0x8E, 0x34, 0x04, 0xDD,
    0xEF, 0x95, 0x19, 0xB3, 0xCD, 0x3A, 0x43, 0x1B, 0x30, 0x2B, 0x0A, 0x6D, 0xF2, 0x5F, 0x14, 0x37,
    0x4F, 0xE1, 0x35, 0x6D, 0x6D, 0x51, 0xC2, 0x45, 0xE4, 0x85, 0xB5, 0x76, 0x62, 0x5E, 0x7E, 0xC6,
    0xF4, 0x4C, 0x42, 0xE9, 0xA6, 0x3A, 0x36, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x05, 0x63,
};

struct bn_free {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
struct ctx_free {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
using bignum = std::unique_ptr<BIGNUM, bn_free>;
using bn_ctx = std::unique_ptr<BN_CTX, ctx_free>;

// OpenSSL fails these only when out of memory.
bignum check(BIGNUM* b) {
  if (!b) throw std::bad_alloc();
  return bignum(b);
}
void check(int ok) {
  if (ok != 1) throw std::bad_alloc();
}

template <std::size_t N>
bignum from_bytes(const std::array<std::uint8_t, N>& bytes) {
  return check(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
}

// base^x mod P, with the private exponent handled in constant time.
dh_key power(const BIGNUM* base, const private_key& x) {
  bn_ctx ctx(BN_CTX_new());
  if (!ctx) throw std::bad_alloc();
  const bignum p = from_bytes(prime);
  const bignum e = from_bytes(x);
  BN_set_flags(e.get(), BN_FLG_CONSTTIME);
  const bignum r = check(BN_new());
  check(BN_mod_exp(r.get(), base, e.get(), p.get(), ctx.get()));
  dh_key out{};
  if (BN_bn2binpad(r.get(), out.data(), static_cast<int>(out.size())) !=
      static_cast<int>(out.size())) {
    throw std::bad_alloc();  // cannot happen: r < P fits in 96 bytes
  }
  return out;
}

}  // namespace

dh_key public_key(const private_key& x) {
  const bignum g = check(BN_new());
  check(BN_set_word(g.get(), 2));
  return power(g.get(), x);
}

result<dh_key> shared_secret(const private_key& x, const dh_key& peer) {
  // 2 <= peer <= P-2, compared as 96-byte big-endian strings.
  dh_key p_minus_1 = prime;
  p_minus_1.back() = static_cast<std::uint8_t>(p_minus_1.back() - 1);  // P ends in 0x63
  dh_key two{};
  two.back() = 2;
  if (peer < two || peer >= p_minus_1) {
    return error{errc::bad_public_key, ""};
  }
  const bignum y = from_bytes(peer);
  return power(y.get(), x);
}

}  // namespace corrent::mse
