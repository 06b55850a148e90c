// mse::stream_cipher — what a finished MSE handshake hands the connection: the RC4 streams
// of both directions continued where the handshake left them when rc4 was selected, or
// nothing when plaintext was (then encrypt and decrypt change no byte). Every byte sent
// after the handshake goes through encrypt() once, in order; every byte received through
// decrypt().
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "core/crypto/rc4.hpp"

namespace corrent::mse {

class stream_cipher {
 public:
  stream_cipher() = default;  // plaintext
  stream_cipher(crypto::rc4 out, crypto::rc4 in) : out_(out), in_(in) {}

  bool encrypted() const { return out_.has_value(); }

  void encrypt(std::span<char> data) {
    if (out_) out_->apply(data);
  }
  void encrypt(std::span<std::uint8_t> data) {
    if (out_) out_->apply(data);
  }
  void decrypt(std::span<char> data) {
    if (in_) in_->apply(data);
  }
  void decrypt(std::span<std::uint8_t> data) {
    if (in_) in_->apply(data);
  }

 private:
  std::optional<crypto::rc4> out_;
  std::optional<crypto::rc4> in_;
};

}  // namespace corrent::mse
