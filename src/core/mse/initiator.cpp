#include "core/mse/initiator.hpp"

#include <algorithm>
#include <span>

#include "core/mse/fields.hpp"

namespace corrent::mse {
using fields::append_u16;
using fields::append_u32;
using fields::bytes;
using fields::read_u16;
using fields::read_u32;

result<initiator> initiator::create(initiator_params params) {
  if (params.pad_a.size() > max_padding) {
    return error{errc::bad_padding_length, "PadA of " + std::to_string(params.pad_a.size())};
  }
  if (params.pad_c_size > max_padding) {
    return error{errc::bad_padding_length, "PadC of " + std::to_string(params.pad_c_size)};
  }
  if ((params.provide & all_methods) == 0) {
    return error{errc::no_common_crypto, "nothing in crypto_provide"};
  }
  if (params.initial_payload.size() > max_initial_payload) {
    return error{errc::payload_too_large,
                 "IA of " + std::to_string(params.initial_payload.size()) + " bytes"};
  }
  return initiator(std::move(params));
}

initiator::initiator(initiator_params params) : params_(std::move(params)) {
  params_.provide &= all_methods;
  out_ = bytes(public_key(params_.key));
  out_ += params_.pad_a;
}

result<void> initiator::feed(std::string_view in) {
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

bool initiator::advance() {
  switch (state_) {
    case state::public_key:
      return on_public_key();
    case state::sync:
      return on_sync();
    case state::select:
      return on_select();
    case state::pad_d:
      return on_pad_d();
    case state::done:
    case state::failed:
      return false;
  }
  return false;
}

bool initiator::fail(errc e, std::string detail) {
  state_ = state::failed;
  error_ = error{e, std::move(detail)};
  in_.clear();
  pos_ = 0;
  return false;
}

// Yb in: S, the RC4 streams, and step 3 out.
bool initiator::on_public_key() {
  if (pending().size() < key_size) return false;
  dh_key yb{};
  std::copy_n(pending().begin(), key_size, yb.begin());
  auto s = shared_secret(params_.key, yb);
  if (!s) return fail(errc::bad_public_key, "Yb");
  consume(key_size);

  out_ += bytes(req1_hash(*s));
  const sha1_digest req2 = req2_hash(params_.info_hash);
  const sha1_digest req3 = req3_hash(*s);
  for (std::size_t i = 0; i < req2.size(); ++i) out_ += static_cast<char>(req2[i] ^ req3[i]);

  std::string block(vc_size, '\0');
  append_u32(block, params_.provide);
  append_u16(block, params_.pad_c_size);
  block.append(params_.pad_c_size, '\0');
  append_u16(block, params_.initial_payload.size());
  block += params_.initial_payload;
  cipher_ = make_handshake_cipher(*s, params_.info_hash, true);
  cipher_.encrypt(std::span<char>(block));
  out_ += block;
  params_.initial_payload = {};
  params_.pad_a = {};

  // B's first 8 bytes of RC4 output: what ENCRYPT(VC) looks like on the wire. Computing
  // it moves the decrypting stream past the VC, where the bytes after it start.
  encrypted_vc_.fill(0);
  cipher_.decrypt(std::span<std::uint8_t>(encrypted_vc_));
  state_ = state::sync;
  return true;
}

// PadB, then ENCRYPT(VC) starting at most max_padding bytes after Yb.
bool initiator::on_sync() {
  const std::string_view window = pending().substr(0, initiator_sync_limit - read_);
  const std::size_t at = window.find(bytes(encrypted_vc_));
  if (at == std::string_view::npos) {
    if (read_ + pending().size() >= initiator_sync_limit) {
      return fail(errc::sync_not_found,
                  "no ENCRYPT(VC) within " + std::to_string(initiator_sync_limit) + " bytes");
    }
    return false;
  }
  consume(at + vc_size);
  state_ = state::select;
  return true;
}

// crypto_select and len(PadD).
bool initiator::on_select() {
  if (pending().size() < 6) return false;
  std::string field(pending().substr(0, 6));
  cipher_.decrypt(std::span<char>(field));
  const std::uint32_t select = read_u32(field) & all_methods;
  if ((select != bit(method::plaintext) && select != bit(method::rc4)) ||
      (select & params_.provide) == 0) {
    return fail(errc::bad_crypto_select, "crypto_select " + std::to_string(read_u32(field)));
  }
  pad_d_size_ = read_u16(std::string_view(field).substr(4));
  if (pad_d_size_ > max_padding) {
    return fail(errc::bad_padding_length, "len(PadD) " + std::to_string(pad_d_size_));
  }
  selected_ = static_cast<method>(select);
  consume(6);
  state_ = state::pad_d;
  return true;
}

// PadD, decrypted to keep the stream in step and dropped. ENCRYPT2 starts after it.
bool initiator::on_pad_d() {
  if (pending().size() < pad_d_size_) return false;
  std::string pad(pending().substr(0, pad_d_size_));
  cipher_.decrypt(std::span<char>(pad));
  consume(pad_d_size_);
  if (selected_ == method::plaintext) cipher_ = stream_cipher();
  state_ = state::done;
  return false;
}

}  // namespace corrent::mse
