// wire::errc — why a peer's bytes are a protocol violation (the peer is disconnected).
#pragma once

#include <boost/system/error_code.hpp>
#include <type_traits>

namespace corrent::wire {

enum class errc {
  bad_protocol_string = 1,  // handshake does not start with 19 "BitTorrent protocol"
  message_too_large,        // length prefix above the decoder's cap (checked before buffering)
  bad_message_length,       // a known message whose length does not fit its id
};

const boost::system::error_category& category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

}  // namespace corrent::wire

template <>
struct boost::system::is_error_code_enum<corrent::wire::errc> : std::true_type {};
