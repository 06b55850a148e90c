#include "core/dht/tokens.hpp"

#include "core/crypto/sha1.hpp"

namespace corrent::dht {
namespace {

// Compares without stopping at the first difference: how long a check takes says
// nothing about how much of a guess was right.
bool same_bytes(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
  return diff == 0;
}

}  // namespace

tokens::tokens(std::string_view secret, double now) : current_(secret), rotated_at_(now) {}

void tokens::rotate(std::string_view new_secret, double now) {
  previous_ = std::move(current_);
  has_previous_ = true;
  current_.assign(new_secret);
  rotated_at_ = now;
}

std::string tokens::make(std::string_view secret, const net::peer_address& from) {
  crypto::sha1_hasher h;
  h.update(secret);
  h.update(from.ip.data(), from.is_v6 ? 16 : 4);
  const auto digest = h.finish();
  return std::string(crypto::as_bytes(digest).substr(0, token_size));
}

std::string tokens::make(const net::peer_address& from) const {
  return make(current_, from);
}

bool tokens::valid(std::string_view token, const net::peer_address& from, double now) const {
  if (token.size() != token_size) return false;
  const double age = now - rotated_at_;
  if (age < 2 * rotate_every_s && same_bytes(token, make(current_, from))) return true;
  return has_previous_ && age < rotate_every_s && same_bytes(token, make(previous_, from));
}

}  // namespace corrent::dht
