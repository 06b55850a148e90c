#include "core/mse/responder.hpp"

#include <algorithm>
#include <span>

#include "core/mse/fields.hpp"

namespace corrent::mse {
using fields::append_u16;
using fields::append_u32;
using fields::bytes;
using fields::read_u16;
using fields::read_u32;

std::optional<method> choose_method(std::uint32_t provide, std::uint32_t allowed, bool prefer_rc4) {
  const std::uint32_t common = provide & allowed & all_methods;
  const bool rc4 = (common & bit(method::rc4)) != 0;
  const bool plaintext = (common & bit(method::plaintext)) != 0;
  if (rc4 && (prefer_rc4 || !plaintext)) return method::rc4;
  if (plaintext) return method::plaintext;
  return std::nullopt;
}

result<responder> responder::create(responder_params params) {
  if (params.pad_b.size() > max_padding) {
    return error{errc::bad_padding_length, "PadB of " + std::to_string(params.pad_b.size())};
  }
  if (params.pad_d_size > max_padding) {
    return error{errc::bad_padding_length, "PadD of " + std::to_string(params.pad_d_size)};
  }
  if ((params.allowed & all_methods) == 0) {
    return error{errc::no_common_crypto, "no method allowed"};
  }
  if (params.max_initial_payload > max_initial_payload) {
    return error{errc::payload_too_large,
                 "IA limit of " + std::to_string(params.max_initial_payload) + " bytes"};
  }
  return responder(std::move(params));
}

responder::responder(responder_params params) : params_(std::move(params)) {}

result<void> responder::feed(std::string_view in) {
  if (state_ == state::failed) return error_;
  if (state_ == state::done) return error{errc::finished, ""};
  in_.append(in);
  while (advance()) {
  }
  if (state_ == state::done) {
    leftover_.assign(pending());
    cipher_.decrypt(std::span<char>(leftover_));
    in_.clear();
    pos_ = 0;
  } else {
    in_.erase(0, pos_);
    pos_ = 0;
  }
  if (state_ == state::failed) return error_;
  return {};
}

bool responder::advance() {
  switch (state_) {
    case state::public_key:
      return on_public_key();
    case state::sync:
      return on_sync();
    case state::stream_key:
      return on_stream_key();
    case state::pad_c:
      return on_pad_c();
    case state::ia:
      return on_ia();
    case state::done:
    case state::failed:
      return false;
  }
  return false;
}

bool responder::fail(errc e, std::string detail) {
  state_ = state::failed;
  error_ = error{e, std::move(detail)};
  in_.clear();
  pos_ = 0;
  return false;
}

// Ya in: S, and Yb + PadB out.
bool responder::on_public_key() {
  if (pending().size() < key_size) return false;
  dh_key ya{};
  std::copy_n(pending().begin(), key_size, ya.begin());
  auto s = shared_secret(params_.key, ya);
  if (!s) return fail(errc::bad_public_key, "Ya");
  consume(key_size);
  secret_ = *s;
  req1_ = req1_hash(secret_);
  out_ += bytes(public_key(params_.key));
  out_ += params_.pad_b;
  params_.pad_b = {};
  state_ = state::sync;
  return true;
}

// PadA, then HASH('req1', S) starting at most max_padding bytes after Ya.
bool responder::on_sync() {
  const std::string_view window = pending().substr(0, responder_sync_limit - read_);
  const std::size_t at = window.find(bytes(req1_));
  if (at == std::string_view::npos) {
    if (read_ + pending().size() >= responder_sync_limit) {
      return fail(errc::sync_not_found,
                  "no HASH('req1', S) within " + std::to_string(responder_sync_limit) + " bytes");
    }
    return false;
  }
  consume(at + req1_.size());
  state_ = state::stream_key;
  return true;
}

// HASH('req2', SKEY) xor HASH('req3', S), then ENCRYPT(VC, crypto_provide, len(PadC)).
bool responder::on_stream_key() {
  constexpr std::size_t size = 20 + vc_size + 4 + 2;
  if (pending().size() < size) return false;
  const sha1_digest req3 = req3_hash(secret_);
  sha1_digest req2{};
  for (std::size_t i = 0; i < req2.size(); ++i) {
    req2[i] = static_cast<std::uint8_t>(pending()[i] ^ req3[i]);
  }
  if (params_.find_torrent) info_hash_ = params_.find_torrent(req2);
  if (!info_hash_) return fail(errc::unknown_torrent, "HASH('req2', SKEY) " + crypto::to_hex(req2));
  cipher_ = make_handshake_cipher(secret_, *info_hash_, false);

  std::string block(pending().substr(20, size - 20));
  cipher_.decrypt(std::span<char>(block));
  if (block.find_first_not_of('\0') < vc_size) return fail(errc::bad_vc, "");
  const std::uint32_t provide = read_u32(std::string_view(block).substr(vc_size));
  selected_ = choose_method(provide, params_.allowed, params_.prefer_rc4);
  if (!selected_) {
    return fail(errc::no_common_crypto, "crypto_provide " + std::to_string(provide));
  }
  pad_c_size_ = read_u16(std::string_view(block).substr(vc_size + 4));
  if (pad_c_size_ > max_padding) {
    return fail(errc::bad_padding_length, "len(PadC) " + std::to_string(pad_c_size_));
  }
  consume(size);
  state_ = state::pad_c;
  return true;
}

// PadC (dropped) and len(IA).
bool responder::on_pad_c() {
  if (pending().size() < pad_c_size_ + 2) return false;
  std::string block(pending().substr(0, pad_c_size_ + 2));
  cipher_.decrypt(std::span<char>(block));
  ia_size_ = read_u16(std::string_view(block).substr(pad_c_size_));
  if (ia_size_ > params_.max_initial_payload) {
    return fail(errc::payload_too_large, "len(IA) " + std::to_string(ia_size_));
  }
  consume(pad_c_size_ + 2);
  state_ = state::ia;
  return true;
}

// The IA, then step 4 out: ENCRYPT(VC, crypto_select, len(PadD), PadD).
bool responder::on_ia() {
  if (pending().size() < ia_size_) return false;
  initial_payload_.assign(pending().substr(0, ia_size_));
  cipher_.decrypt(std::span<char>(initial_payload_));
  consume(ia_size_);

  std::string block(vc_size, '\0');
  append_u32(block, bit(*selected_));
  append_u16(block, params_.pad_d_size);
  block.append(params_.pad_d_size, '\0');
  cipher_.encrypt(std::span<char>(block));
  out_ += block;
  if (selected_ == method::plaintext) cipher_ = stream_cipher();
  state_ = state::done;
  return false;
}

}  // namespace corrent::mse
