// torrent::pex_extension — ut_pex (BEP 11): the peers we are connected to, told to each
// peer that speaks ut_pex, and the peers it tells us, into the peer book.
//
// Sending: at most one message a minute per peer (the first soon after its handshake),
// with the connected peers it has not been told of (at most max_added; their listening
// address: outgoing connections as dialled, incoming ones at the port from their extended
// handshake, else left out) and those gone since (at most max_dropped); nothing when
// neither changed. Receiving: at most one message per min_receive_interval_s is used (more
// are ignored), at most max_added of its peers, each added to the book with source pex
// and the sender's IP as origin, so one peer holds a bounded share of the book
// (swarm::peer_book). Never for a private torrent (BEP 27): not offered, and what comes is
// ignored.
#pragma once

#include <cstdint>
#include <map>
#include <set>

#include "core/net/peer_address.hpp"
#include "core/torrent/extension.hpp"

namespace corrent::torrent {

class torrent_logic;

class pex_extension final : public extension {
 public:
  static constexpr std::uint8_t id = 1;
  static constexpr std::size_t max_added = 50;
  static constexpr std::size_t max_dropped = 50;
  static constexpr double send_interval_s = 60;
  static constexpr double first_send_after_s = 1;
  static constexpr double min_receive_interval_s = 45;

  explicit pex_extension(torrent_logic& t) : t_(t) {}

  std::string_view name() const override { return "ut_pex"; }
  std::uint8_t local_id() const override { return id; }
  bool offered() const override;
  void on_handshake(peer::peer_state& p, const wire::ext::handshake& theirs, double now) override;
  bool on_message(peer::peer_state& p, std::string_view payload, double now) override;
  void on_peer_closed(peer::peer_state& p, double now) override;
  void on_tick(double now) override;

  // Peers learnt through PEX so far (added to the book), for status and tests.
  std::size_t learnt() const { return learnt_; }

 private:
  struct peer_pex {
    double handshake_at = 0;
    double last_sent = -1;             // -1: never
    double last_received = -1;         // -1: never
    std::set<net::peer_address> told;  // what it was told is connected
  };
  void send_to(peer::peer_state& p, peer_pex& st, double now);

  torrent_logic& t_;
  std::map<swarm::peer_key, peer_pex> peers_;
  std::size_t learnt_ = 0;
};

}  // namespace corrent::torrent
