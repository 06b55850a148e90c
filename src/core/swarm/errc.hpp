// swarm::errc — why a peer's view of the swarm is invalid (the peer is disconnected).
#pragma once

#include <boost/system/error_code.hpp>
#include <type_traits>

namespace corrent::swarm {

enum class errc {
  bad_bitfield_length = 1,  // not ceil(pieces / 8) bytes
  bitfield_spare_bits,      // bits past the last piece are set
  piece_out_of_range,       // have / request / piece for a piece that does not exist
  block_out_of_range,       // begin/length outside the piece, or length > 16 KiB
};

const boost::system::error_category& category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

}  // namespace corrent::swarm

template <>
struct boost::system::is_error_code_enum<corrent::swarm::errc> : std::true_type {};
