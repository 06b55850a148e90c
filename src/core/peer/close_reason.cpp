#include "core/peer/close_reason.hpp"

namespace corrent::peer {

std::string_view to_string(close_reason r) {
  switch (r) {
    case close_reason::none:
      return "connection closed";
    case close_reason::connect_failed:
      return "connect failed";
    case close_reason::connect_timeout:
      return "connect timed out";
    case close_reason::peer_closed:
      return "peer closed the connection";
    case close_reason::io_error:
      return "connection error";
    case close_reason::handshake_timeout:
      return "handshake timed out";
    case close_reason::bad_handshake:
      return "bad handshake";
    case close_reason::bad_encryption:
      return "encryption failed";
    case close_reason::unknown_info_hash:
      return "handshake for another torrent";
    case close_reason::self_connection:
      return "connected to ourselves";
    case close_reason::duplicate_peer_id:
      return "already connected to that peer id";
    case close_reason::protocol_violation:
      return "protocol violation";
    case close_reason::bad_bitfield:
      return "bad bitfield";
    case close_reason::repeated_bitfield:
      return "have_all or have_none after the first message";
    case close_reason::have_out_of_range:
      return "have for piece out of range";
    case close_reason::piece_out_of_range:
      return "piece message out of range";
    case close_reason::request_out_of_range:
      return "request out of range";
    case close_reason::request_flood:
      return "too many queued requests";
    case close_reason::fast_not_negotiated:
      return "fast extension message without the fast extension";
    case close_reason::bad_extension:
      return "bad extension message";
    case close_reason::bad_metadata:
      return "bad metadata";
    case close_reason::idle_timeout:
      return "idle for too long";
    case close_reason::send_stalled:
      return "not reading what we send";
    case close_reason::snubbed:
      return "no data for 30 s with requests pending (snubbed)";
    case close_reason::banned:
      return "banned";
    case close_reason::too_many_peers:
      return "too many peers";
    case close_reason::too_many_from_ip:
      return "too many connections from that address";
    case close_reason::torrent_stopping:
      return "shutting down";
    case close_reason::local_read_error:
      return "local read error";
  }
  return "connection closed";
}

}  // namespace corrent::peer
