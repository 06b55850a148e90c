// io::handshaker — the BitTorrent handshake (BEP 3) over a peer_stream, and dialling a
// peer. An incoming connection is read up to the info-hash before anything is sent, so
// the session can find the torrent it is for (or hang up); an outgoing one writes ours
// first. Every step is bounded in time: a peer that dribbles its 68 bytes is dropped when
// the deadline passes (libtorrent: 10 s from the connection's opening).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "core/net/peer_address.hpp"
#include "core/peer/close_reason.hpp"
#include "core/wire/message.hpp"
#include "io/net/peer_stream.hpp"

namespace corrent::io {

inline constexpr std::chrono::seconds handshake_timeout{10};
inline constexpr std::chrono::seconds connect_timeout{10};

struct handshake_outcome {
  std::optional<wire::handshake> theirs;  // set: it arrived and parsed
  peer::close_reason why = peer::close_reason::none;
  std::string detail;
};

// Reads the peer's handshake, until `deadline`.
boost::asio::awaitable<handshake_outcome> read_handshake(
    peer_stream& s, std::chrono::steady_clock::time_point deadline);
// Exactly `buf.size()` bytes, until `deadline`.
boost::asio::awaitable<handshake_outcome> read_exactly(
    peer_stream& s, std::string& buf, std::chrono::steady_clock::time_point deadline);
// Writes ours, until `deadline`; none on success.
boost::asio::awaitable<handshake_outcome> write_handshake(
    peer_stream& s, const wire::handshake& ours, std::chrono::steady_clock::time_point deadline);

struct dial_outcome {
  std::unique_ptr<peer_stream> stream;  // set: connected
  peer::close_reason why = peer::close_reason::none;
  std::string detail;
};
// A TCP connection to `address` within connect_timeout.
boost::asio::awaitable<dial_outcome> dial_tcp(boost::asio::any_io_executor ex,
                                              net::peer_address address);

}  // namespace corrent::io
