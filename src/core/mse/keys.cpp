#include "core/mse/keys.hpp"

#include <string_view>

#include "core/mse/fields.hpp"

namespace corrent::mse {
namespace {

using fields::bytes;

sha1_digest hash(std::string_view label, const dh_key& s) {
  crypto::sha1_hasher h;
  h.update(label);
  h.update(bytes(s));
  return h.finish();
}

crypto::rc4 stream(std::string_view label, const dh_key& s, const sha1_digest& info_hash) {
  crypto::sha1_hasher h;
  h.update(label);
  h.update(bytes(s));
  h.update(crypto::as_bytes(info_hash));
  const sha1_digest key = h.finish();
  crypto::rc4 c(key);
  c.discard(1024);
  return c;
}

}  // namespace

sha1_digest req1_hash(const dh_key& s) {
  return hash("req1", s);
}

sha1_digest req2_hash(const sha1_digest& info_hash) {
  crypto::sha1_hasher h;
  h.update("req2");
  h.update(crypto::as_bytes(info_hash));
  return h.finish();
}

sha1_digest req3_hash(const dh_key& s) {
  return hash("req3", s);
}

stream_cipher make_handshake_cipher(const dh_key& s, const sha1_digest& info_hash, bool initiator) {
  crypto::rc4 a = stream("keyA", s, info_hash);
  crypto::rc4 b = stream("keyB", s, info_hash);
  return initiator ? stream_cipher(a, b) : stream_cipher(b, a);
}

}  // namespace corrent::mse
