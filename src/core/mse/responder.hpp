// mse::responder — side B of a message stream encryption handshake (MSE/PE; the steps are
// in handshake.hpp): the side that accepted the connection. It learns which torrent the
// peer wants from HASH('req2', SKEY), looked up among the caller's torrents, and picks
// the method for the payload stream from what the peer provides. Sans-I/O, like
// mse::initiator: feed() the peer's bytes in pieces of any size, send what take_output()
// holds after each call. Once done(), take_initial_payload() is the peer's IA (normally its
// BT handshake), take_leftover() the payload-stream bytes after it, both decrypted, and
// cipher() carries on in both directions.
//
// A connection that starts with a plain BitTorrent handshake is not MSE: ask
// looks_like_plain_bittorrent() (handshake.hpp) before creating a responder.
//
// Bounds: nothing is sent before Ya is in. HASH('req1', S) must end within
// responder_sync_limit (628) bytes: a peer sending anything else fails once 628 bytes are
// in, never waits. Then the handshake needs 34 bytes, len(PadC) <= 512 and len(IA) <=
// max_initial_payload, so it reads at most max_handshake_size() bytes and writes at most
// 96 + 512 + 14 + 512.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/error.hpp"
#include "core/mse/dh.hpp"
#include "core/mse/errc.hpp"
#include "core/mse/handshake.hpp"
#include "core/mse/keys.hpp"
#include "core/mse/stream_cipher.hpp"

namespace corrent::mse {

// The default cap on len(IA). The spec allows 65535 bytes, but the clients we know send
// their 68-byte BT handshake (libtorrent, Transmission) or nothing, and the spec's own
// BitTorrent note says IA can hold no more than the handshake. 16 KiB leaves room for a
// handshake with anything a client might append, and keeps what an unanswered connection
// can make us buffer small.
constexpr std::size_t default_max_initial_payload = 16 * 1024;

// The peer's HASH('req2', SKEY) -> the info-hash of ours it stands for (nullopt: none).
// A session keeps its torrents indexed by req2_hash(info_hash) (keys.hpp).
using torrent_finder = std::function<std::optional<sha1_digest>(const sha1_digest& req2)>;

struct responder_params {
  private_key key{};                    // Xb: 160 random bits
  std::string pad_b;                    // PadB: random bytes, at most max_padding
  std::size_t pad_d_size = 0;           // len(PadD), sent as zeros, at most max_padding
  std::uint32_t allowed = all_methods;  // the methods we accept for the payload stream
  bool prefer_rc4 = false;              // with both provided and allowed, rc4 (else plaintext, as
                                        // libtorrent's default: the payload costs no RC4)
  std::size_t max_initial_payload = default_max_initial_payload;  // at most 65535
  torrent_finder find_torrent;                                    // empty: no torrent is ours
};

// The responder's pick from the peer's crypto_provide: rc4 when provided and allowed and
// either preferred or the only one left; otherwise plaintext when provided and allowed;
// nullopt when nothing is in common. Reserved bits are ignored.
std::optional<method> choose_method(std::uint32_t provide, std::uint32_t allowed, bool prefer_rc4);

class responder {
 public:
  // Errors: bad_padding_length, no_common_crypto (nothing allowed), payload_too_large
  // (max_initial_payload above 65535).
  static result<responder> create(responder_params params);

  // The most bytes of the peer's stream a handshake can take with these params: Ya, PadA
  // and HASH('req1', S) within 628, then 34, PadC and len(IA), and the IA.
  static std::size_t max_handshake_size(const responder_params& params) {
    return responder_sync_limit + 20 + vc_size + 4 + 2 + max_padding + 2 +
           params.max_initial_payload;
  }

  // What to send now (Yb + PadB once Ya is in, step 4 when done); empties the buffer.
  std::string take_output() { return std::exchange(out_, {}); }

  // The peer's next bytes. Fails (and keeps failing) with bad_public_key, sync_not_found,
  // unknown_torrent, bad_vc, no_common_crypto, bad_padding_length or payload_too_large;
  // with `finished` once done(). Bytes past the end of the handshake go to take_leftover().
  result<void> feed(std::string_view in);

  bool done() const { return state_ == state::done; }
  bool failed() const { return state_ == state::failed; }

  // The torrent the peer asked for, once found (before done(): the IA may still come).
  const std::optional<sha1_digest>& info_hash() const { return info_hash_; }
  // The method chosen for the payload stream, once the peer's crypto_provide is in.
  std::optional<method> selected() const { return selected_; }

  // How many bytes of the peer's stream the handshake took (Ya to IA, once done()).
  std::size_t bytes_read() const { return read_; }

  // After done(): the peer's IA, decrypted (empty when it sent none).
  std::string take_initial_payload() { return std::exchange(initial_payload_, {}); }
  // After done(): the payload-stream bytes that came after the IA, decrypted.
  std::string take_leftover() { return std::exchange(leftover_, {}); }
  // After done(): the stream from here on, both directions. Take it once.
  stream_cipher cipher() const { return cipher_; }

 private:
  enum class state : std::uint8_t { public_key, sync, stream_key, pad_c, ia, done, failed };

  explicit responder(responder_params params);
  bool advance();  // one step on the buffered input; false when it needs more (or failed)
  bool on_public_key();
  bool on_sync();
  bool on_stream_key();
  bool on_pad_c();
  bool on_ia();
  bool fail(errc e, std::string detail);
  std::string_view pending() const { return std::string_view(in_).substr(pos_); }
  void consume(std::size_t n) {
    pos_ += n;
    read_ += n;
  }

  responder_params params_;
  state state_ = state::public_key;
  std::string out_;
  std::string in_;  // received, not yet consumed from pos_ on
  std::size_t pos_ = 0;
  std::size_t read_ = 0;
  dh_key secret_{};
  sha1_digest req1_{};
  stream_cipher cipher_;  // the handshake's RC4 once SKEY is known; plaintext if selected
  std::optional<sha1_digest> info_hash_;
  std::optional<method> selected_;
  std::size_t pad_c_size_ = 0;
  std::size_t ia_size_ = 0;
  std::string initial_payload_;
  std::string leftover_;
  error error_;
};

}  // namespace corrent::mse
