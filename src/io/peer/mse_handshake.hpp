// io::mse_connect / mse_accept — the MSE/PE handshake (core/mse's initiator and responder)
// run over a peer_stream within the handshake deadline, giving back an mse_stream that
// carries the rest of the connection. Keys and padding come from OpenSSL's RAND_bytes.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "core/crypto/sha1.hpp"
#include "core/mse/responder.hpp"
#include "core/peer/close_reason.hpp"
#include "io/net/peer_stream.hpp"

namespace corrent::io {

struct mse_outcome {
  std::unique_ptr<peer_stream> stream;  // set: the handshake completed
  peer::close_reason why = peer::close_reason::none;
  std::string detail;
  mse::method selected = mse::method::plaintext;
  std::optional<crypto::sha1_digest> info_hash;  // accept: the torrent the peer named
  bool any_reply = false;  // connect: the peer sent something (it speaks, but not MSE?)
};

// Outgoing, for `info_hash`: our BitTorrent handshake goes as the initial payload, so
// the peer's comes next on the returned stream. `provide`: mse::bit()s we accept.
boost::asio::awaitable<mse_outcome> mse_connect(std::unique_ptr<peer_stream> s,
                                                const crypto::sha1_digest& info_hash,
                                                std::string our_handshake, std::uint32_t provide,
                                                std::chrono::steady_clock::time_point deadline);

// Incoming, `first`: the bytes already read (not a plain handshake). The peer's
// BitTorrent handshake (its initial payload) is read first from the returned stream.
boost::asio::awaitable<mse_outcome> mse_accept(std::unique_ptr<peer_stream> s, std::string first,
                                               std::uint32_t allowed, bool prefer_rc4,
                                               mse::torrent_finder find,
                                               std::chrono::steady_clock::time_point deadline);

}  // namespace corrent::io
