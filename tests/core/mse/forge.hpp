// What the MSE tests share: fixed keys and torrents, a pump that runs an initiator against
// a responder in memory, and hand-built steps 3 and 4 with fields no honest peer sends.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto/sha1.hpp"
#include "core/mse/errc.hpp"
#include "core/mse/initiator.hpp"
#include "core/mse/keys.hpp"
#include "core/mse/responder.hpp"

namespace corrent::mse::test {

inline private_key key_of(std::uint8_t first) {
  private_key k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(first + i);
  return k;
}

inline const private_key key_a = key_of(0x01);  // 0x0102...14
inline const private_key key_b = key_of(0x21);  // 0x2122...34
inline const sha1_digest torrent = crypto::sha1("corrent mse test torrent");
inline const sha1_digest other_torrent = crypto::sha1("another torrent");

inline std::string_view str(const dh_key& k) {
  return {reinterpret_cast<const char*>(k.data()), k.size()};
}
inline std::string_view str(const sha1_digest& d) {
  return crypto::as_bytes(d);
}

// A finder that knows `torrent` and `other_torrent`.
inline torrent_finder finder() {
  return [](const sha1_digest& req2) -> std::optional<sha1_digest> {
    for (const sha1_digest& t : {torrent, other_torrent}) {
      if (req2_hash(t) == req2) return t;
    }
    return std::nullopt;
  };
}

inline initiator_params a_params(std::uint32_t provide = all_methods, std::string ia = "") {
  initiator_params p;
  p.info_hash = torrent;
  p.key = key_a;
  p.provide = provide;
  p.initial_payload = std::move(ia);
  return p;
}

inline responder_params b_params(std::uint32_t allowed = all_methods, bool prefer_rc4 = false) {
  responder_params p;
  p.key = key_b;
  p.allowed = allowed;
  p.prefer_rc4 = prefer_rc4;
  p.find_torrent = finder();
  return p;
}

// Feeds `bytes` to `side` in pieces whose sizes cycle through `sizes`; stops at the first
// error (returned) or when the side is done (the rest is returned in *rest).
template <class Side>
result<void> feed_in(Side& side, std::string_view bytes, const std::vector<std::size_t>& sizes,
                     std::string* rest = nullptr) {
  for (std::size_t i = 0; !bytes.empty(); ++i) {
    if (side.done()) break;
    const std::size_t n = std::min(bytes.size(), std::max<std::size_t>(1, sizes[i % sizes.size()]));
    auto r = side.feed(bytes.substr(0, n));
    bytes.remove_prefix(n);
    if (!r) return r;
  }
  if (rest) *rest = std::string(bytes);
  return {};
}

// Both sides' whole streams, from a run to the end (or to the first failure).
struct transcript {
  std::string a_sent;  // everything the initiator wrote
  std::string b_sent;  // everything the responder wrote
  result<void> a_status = result<void>();
  result<void> b_status = result<void>();
};

// Runs a against b, delivering each side's output in pieces cycling through `sizes`, until
// neither has anything left to say.
inline transcript pump(initiator& a, responder& b, const std::vector<std::size_t>& sizes) {
  transcript t;
  for (int round = 0; round < 16; ++round) {
    const std::string to_b = a.take_output();
    const std::string to_a = b.take_output();
    if (to_b.empty() && to_a.empty()) break;
    t.a_sent += to_b;
    t.b_sent += to_a;
    if (t.b_status && !to_b.empty()) t.b_status = feed_in(b, to_b, sizes);
    if (t.a_status && !to_a.empty()) t.a_status = feed_in(a, to_a, sizes);
  }
  return t;
}

// Step 3 as an initiator with key_a would send it to a responder whose public key is `yb`,
// with every field given: the VC, crypto_provide, the len(PadC) field and the PadC bytes
// (they need not agree), the len(IA) field and the IA.
struct step3_fields {
  std::string vc = std::string(vc_size, '\0');
  std::uint32_t provide = all_methods;
  std::size_t pad_c_len = 0;
  std::string pad_c;
  std::size_t ia_len = 0;
  std::string ia;
  sha1_digest skey = torrent;
};

inline dh_key secret_ab() {
  return *shared_secret(key_a, public_key(key_b));
}

inline std::string forge_step3(const step3_fields& f) {
  const dh_key s = secret_ab();
  std::string out(str(req1_hash(s)));
  const sha1_digest req2 = req2_hash(f.skey), req3 = req3_hash(s);
  for (std::size_t i = 0; i < req2.size(); ++i) out += static_cast<char>(req2[i] ^ req3[i]);
  std::string block = f.vc;
  for (int shift = 24; shift >= 0; shift -= 8) block += static_cast<char>(f.provide >> shift);
  block += static_cast<char>(f.pad_c_len >> 8);
  block += static_cast<char>(f.pad_c_len);
  block += f.pad_c;
  block += static_cast<char>(f.ia_len >> 8);
  block += static_cast<char>(f.ia_len);
  block += f.ia;
  stream_cipher c = make_handshake_cipher(s, f.skey, true);
  c.encrypt(std::span<char>(block));
  return out + block;
}

// Step 4 as a responder with key_b would send it to an initiator with key_a: the VC,
// crypto_select, the len(PadD) field and the PadD bytes, then `payload` through the
// continued RC4 stream when `encrypt_payload`, else as it is.
inline std::string forge_step4(std::uint32_t select, std::size_t pad_d_len, std::string pad_d = "",
                               std::string payload = "", bool encrypt_payload = true,
                               std::string vc = std::string(vc_size, '\0')) {
  stream_cipher c = make_handshake_cipher(secret_ab(), torrent, false);
  std::string block = vc;
  for (int shift = 24; shift >= 0; shift -= 8) block += static_cast<char>(select >> shift);
  block += static_cast<char>(pad_d_len >> 8);
  block += static_cast<char>(pad_d_len);
  block += pad_d;
  c.encrypt(std::span<char>(block));
  if (encrypt_payload) c.encrypt(std::span<char>(payload));
  return block + payload;
}

inline std::string pattern(std::size_t n, std::uint8_t seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i * 131 + (i >> 3));
  return s;
}

}  // namespace corrent::mse::test
