// Fuzz target: mse::responder and mse::initiator (message stream encryption, the Vuze
// spec) fed a peer's stream. The first input byte picks the side (bit 0: 0 = responder
// with one known torrent, 1 = initiator for that torrent), the responder's prefer_rc4
// (bit 1) and a chunk size (bits 2-7, 1 to 64 bytes); the rest is the peer's stream.
// Private keys are fixed, so a corpus stream made by the other side stays valid under
// mutation of its later bytes. Properties: no crash or out-of-bounds read; output within
// the spec's bounds; a side that is neither done nor failed has read less than the spec
// lets a peer send before that point (628 bytes to the sync hash for the responder, 616
// to ENCRYPT(VC) for the initiator), so garbage fails instead of hanging; a done side
// read at most max_handshake_size() and left the rest as leftover; and feeding the same
// stream in pieces gives the same outcome, output, IA and payload bytes.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/crypto/sha1.hpp"
#include "core/mse/initiator.hpp"
#include "core/mse/responder.hpp"

namespace mse = corrent::mse;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

mse::private_key key_of(std::uint8_t first) {
  mse::private_key k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(first + i);
  return k;
}

const mse::sha1_digest& torrent() {
  static const mse::sha1_digest t = corrent::crypto::sha1("mse fuzz torrent");
  return t;
}

constexpr std::size_t pad_b_size = 17, pad_d_size = 3, ia_size = 68;

mse::responder make_responder(bool prefer_rc4) {
  mse::responder_params p;
  p.key = key_of(0x21);
  p.pad_b = std::string(pad_b_size, 'b');
  p.pad_d_size = pad_d_size;
  p.prefer_rc4 = prefer_rc4;
  p.find_torrent = [](const mse::sha1_digest& req2) -> std::optional<mse::sha1_digest> {
    if (req2 == mse::req2_hash(torrent())) return torrent();
    return std::nullopt;
  };
  auto r = mse::responder::create(std::move(p));
  require(r.has_value());
  return std::move(*r);
}

mse::initiator make_initiator() {
  mse::initiator_params p;
  p.info_hash = torrent();
  p.key = key_of(0x01);
  p.initial_payload = std::string(ia_size, 'i');
  auto r = mse::initiator::create(std::move(p));
  require(r.has_value());
  return std::move(*r);
}

// One run of a side over the stream, at once (chunk 0) or in pieces; bytes that arrive
// after done() are decrypted by hand, as io will.
struct outcome {
  bool done = false, failed = false;
  int error = 0;
  std::string output, ia, payload;
  std::size_t read = 0;
};

template <class Side>
outcome run(Side side, std::string_view stream, std::size_t chunk) {
  outcome o;
  o.output = side.take_output();
  std::size_t fed = 0;
  while (fed < stream.size() && !side.done() && !side.failed()) {
    const std::size_t n = chunk == 0 ? stream.size() : std::min(chunk, stream.size() - fed);
    auto r = side.feed(stream.substr(fed, n));
    fed += n;
    o.output += side.take_output();
    if (!r) o.error = r.error().code.value();
  }
  o.done = side.done();
  o.failed = side.failed();
  require(!(o.done && o.failed));
  require(o.failed == (o.error != 0));
  o.read = side.bytes_read();
  if (o.done) {
    if constexpr (std::is_same_v<Side, mse::responder>) o.ia = side.take_initial_payload();
    std::string rest(stream.substr(fed));
    mse::stream_cipher c = side.cipher();
    c.decrypt(std::span<char>(rest));
    o.payload = side.take_leftover() + rest;
    require(o.read + o.payload.size() == stream.size());
    require(side.feed("x").error() == mse::errc::finished);
  }
  return o;
}

void check_responder(std::string_view stream, bool prefer_rc4, std::size_t chunk) {
  const outcome o = run(make_responder(prefer_rc4), stream, 0);
  require(o.output.size() <= mse::key_size + pad_b_size + 14 + pad_d_size);
  if (!o.done && !o.failed) {
    // Still waiting: for the sync hash (and the 34 bytes after it) within its bound, or
    // for the rest of a handshake for a torrent it found.
    mse::responder probe = make_responder(prefer_rc4);
    require(probe.feed(stream) && !probe.done());
    require(stream.size() < mse::responder_sync_limit + 34 || probe.info_hash().has_value());
    require(stream.size() < mse::responder::max_handshake_size(mse::responder_params{}));
  }
  if (o.done) {
    require(o.read <= mse::responder::max_handshake_size(mse::responder_params{}));
    require(o.ia.size() <= mse::default_max_initial_payload);
    require(o.output.size() == mse::key_size + pad_b_size + 14 + pad_d_size);
  }
  const outcome pieces = run(make_responder(prefer_rc4), stream, chunk);
  require(pieces.done == o.done && pieces.failed == o.failed && pieces.error == o.error);
  require(pieces.output == o.output && pieces.read == o.read);
  require(pieces.ia == o.ia && pieces.payload == o.payload);
}

void check_initiator(std::string_view stream, std::size_t chunk) {
  const outcome o = run(make_initiator(), stream, 0);
  constexpr std::size_t step3 = 56 + ia_size;
  require(o.output.size() == mse::key_size || o.output.size() == mse::key_size + step3);
  if (!o.done && !o.failed) {
    mse::initiator probe = make_initiator();
    require(probe.feed(stream) && !probe.done());
    require(stream.size() < mse::initiator_sync_limit + 6 || probe.selected().has_value());
    require(stream.size() < mse::initiator_sync_limit + 6 + mse::max_padding);
  }
  if (o.done) require(o.read <= mse::initiator_sync_limit + 6 + mse::max_padding);
  const outcome pieces = run(make_initiator(), stream, chunk);
  require(pieces.done == o.done && pieces.failed == o.failed && pieces.error == o.error);
  require(pieces.output == o.output && pieces.read == o.read && pieces.payload == o.payload);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t chunk = 1 + (data[0] >> 2);
  if (data[0] & 1) {
    check_initiator(stream, chunk);
  } else {
    check_responder(stream, (data[0] & 2) != 0, chunk);
  }
  return 0;
}
