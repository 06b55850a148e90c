// peer::close_reason — why a connection ended, as a value (libtorrent's close_reason_t):
// every close is logged with it at debug level and counted per reason, and code that
// must react to one (a connection to ourselves) tests the value, never a string.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace corrent::peer {

enum class close_reason : std::uint8_t {
  none = 0,
  // transport
  connect_failed,
  connect_timeout,
  peer_closed,  // EOF from the peer
  io_error,     // reset, write failure
  // handshake
  handshake_timeout,
  bad_handshake,      // not BEP 3's protocol string, or a short handshake
  bad_encryption,     // MSE/PE failed (unknown torrent, bad VC, no common method...) or refused
  unknown_info_hash,  // no torrent of ours has it (incoming), or not the one we asked for
  self_connection,    // our own peer id came back: the address is ours
  duplicate_peer_id,  // already connected to that peer id
  // protocol (the peer broke BEP 3 / BEP 6)
  protocol_violation,  // framing: a length prefix over the cap, a bad message length
  bad_bitfield,
  repeated_bitfield,  // have_all or have_none after the first availability message
  have_out_of_range,
  piece_out_of_range,
  request_out_of_range,
  request_flood,        // too many queued requests
  fast_not_negotiated,  // have_all, have_none, reject, allowed_fast or suggest without BEP 6
  bad_extension,        // an extension message (BEP 10) that does not parse
  bad_metadata,         // BEP 9: a wrong size, a bad piece, or metadata that does not hash right
  // our policy
  idle_timeout,
  send_stalled,  // what we send has not moved for 60 s (a zero window, a peer that never reads)
  snubbed,       // requests pending and no data for too long
  banned,
  too_many_peers,
  too_many_from_ip,
  torrent_stopping,  // paused, removed, finished or the session shuts down
  local_read_error,
};

inline constexpr std::size_t close_reason_count =
    static_cast<std::size_t>(close_reason::local_read_error) + 1;

// Lower-case words for logs and --stats ("request out of range", "shutting down").
std::string_view to_string(close_reason r);

// Closes per reason.
struct close_counts {
  std::array<std::uint64_t, close_reason_count> by_reason{};
  void add(close_reason r) { ++by_reason[static_cast<std::size_t>(r)]; }
  std::uint64_t operator[](close_reason r) const { return by_reason[static_cast<std::size_t>(r)]; }
};

}  // namespace corrent::peer
