// mse::errc — why a message stream encryption handshake (MSE/PE, the Vuze spec) failed, or
// why its parameters were refused. Every one ends the connection: MSE has no way to
// recover, and the spec lets either side hang up at these points.
#pragma once

#include <boost/system/error_code.hpp>
#include <type_traits>

namespace corrent::mse {

enum class errc {
  bad_public_key = 1,  // the peer's Diffie-Hellman key is outside 2..P-2
  sync_not_found,      // no HASH('req1', S) (responder) or ENCRYPT(VC) (initiator) within the
                       // spec's bounds after the peer's public key
  unknown_torrent,     // HASH('req2', SKEY) is none of the torrents the responder knows
  bad_vc,              // the verification constant did not decrypt to 8 zero bytes
  no_common_crypto,    // the initiator offered no method the responder allows (or nothing at
                       // all); create(): no method offered or allowed
  bad_crypto_select,   // crypto_select is not exactly one of the methods we offered
  bad_padding_length,  // len(PadC) or len(PadD) above 512; create(): a padding above 512
  payload_too_large,   // len(IA) above the responder's limit; create(): IA above 65535 bytes
                       // or a limit above 65535
  finished,            // feed() after the handshake was done: the stream_cipher takes over
};

const boost::system::error_category& category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

}  // namespace corrent::mse

template <>
struct boost::system::is_error_code_enum<corrent::mse::errc> : std::true_type {};
