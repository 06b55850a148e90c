// mse::initiator — side A of a message stream encryption handshake (MSE/PE; the steps are
// in handshake.hpp): the side that opened the connection, for a torrent it names.
// Sans-I/O: send what take_output() holds after create() and after every feed(); feed()
// the peer's bytes as they arrive, in pieces of any size. Once done(), the payload stream
// begins: take_leftover() holds the bytes of it that came with the handshake, already
// decrypted, and cipher() carries on in both directions (nothing to do for plaintext).
//
// Bounds: ENCRYPT(VC) must end within initiator_sync_limit (616) bytes of the peer's
// stream and len(PadD) be at most 512, so the handshake reads at most 616 + 6 + 512 =
// 1134 bytes of the peer's and writes at most 96 + 512 + 56 + 512 + 65535.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
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

struct initiator_params {
  sha1_digest info_hash{};              // SKEY: the torrent we connect for
  private_key key{};                    // Xa: 160 random bits
  std::string pad_a;                    // PadA: random bytes, at most max_padding
  std::size_t pad_c_size = 0;           // len(PadC), sent as zeros (as the spec asks), at most
                                        // max_padding; clients send none
  std::uint32_t provide = all_methods;  // crypto_provide: the methods we accept (bits of
                                        // `method`; others are not sent)
  std::string initial_payload;          // IA, at most max_initial_payload bytes: normally our BT
                                        // handshake (the spec: nothing the peer must answer first)
};

class initiator {
 public:
  // Ya and PadA are ready in take_output() at once. Errors: bad_padding_length (a padding
  // above max_padding), no_common_crypto (nothing provided), payload_too_large (IA).
  static result<initiator> create(initiator_params params);

  // What to send now (Ya + PadA, then step 3 once Yb is in); empties the buffer.
  std::string take_output() { return std::exchange(out_, {}); }

  // The peer's next bytes. Fails (and keeps failing) with bad_public_key, sync_not_found,
  // bad_crypto_select or bad_padding_length; with `finished` once done(). Bytes past the
  // end of the handshake go to take_leftover().
  result<void> feed(std::string_view in);

  bool done() const { return state_ == state::done; }
  bool failed() const { return state_ == state::failed; }

  // The peer's crypto_select, once read (before done() when PadD is still coming).
  std::optional<method> selected() const { return selected_; }

  // How many bytes of the peer's stream the handshake took (Yb to PadD, once done()).
  std::size_t bytes_read() const { return read_; }

  // After done(): the payload-stream bytes that came with the handshake, decrypted.
  std::string take_leftover() { return std::exchange(leftover_, {}); }

  // After done(): the stream from here on, both directions. Take it once.
  stream_cipher cipher() const { return cipher_; }

 private:
  enum class state : std::uint8_t { public_key, sync, select, pad_d, done, failed };

  explicit initiator(initiator_params params);
  bool advance();  // one step on the buffered input; false when it needs more (or failed)
  bool on_public_key();
  bool on_sync();
  bool on_select();
  bool on_pad_d();
  bool fail(errc e, std::string detail);
  std::string_view pending() const { return std::string_view(in_).substr(pos_); }
  void consume(std::size_t n) {
    pos_ += n;
    read_ += n;
  }

  initiator_params params_;
  state state_ = state::public_key;
  std::string out_;
  std::string in_;  // received, not yet consumed from pos_ on
  std::size_t pos_ = 0;
  std::size_t read_ = 0;
  stream_cipher cipher_;  // the handshake's RC4 once S is known; plaintext if selected
  std::array<std::uint8_t, vc_size> encrypted_vc_{};
  std::optional<method> selected_;
  std::size_t pad_d_size_ = 0;
  std::string leftover_;
  error error_;
};

}  // namespace corrent::mse
