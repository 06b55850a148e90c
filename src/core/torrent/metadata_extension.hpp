// torrent::metadata_extension — ut_metadata (BEP 9): the torrent's `info` fetched from the
// swarm (a magnet link), and served to peers that lack it.
//
// Fetching: peers say the size in their extended handshake (`metadata_size`). An attempt
// is for one size, asked of the peers that claim it: 16 KiB pieces, a few requests per
// peer at once, several peers in parallel. Each piece must come from the peer it was asked
// of, with that size and exactly its length, else that peer is dropped. When every piece
// is in, the whole must hash to the info-hash: then torrent_logic is told (an action
// metadata_received carrying the bytes). Otherwise, if one peer sent all of it, that peer
// lied: banned. If several did, nobody can be blamed yet: from then on each attempt is
// asked of one peer alone, so the next failure names its liar. A peer that rejects, or
// does not answer a request within request_timeout_s, is not asked again on this
// connection. Bounded: the size is capped (the cap on `info` in a .torrent), a peer
// claiming more is ignored.
//
// Serving: a request is answered with the piece, or rejected when we have no `info` or
// it is out of range; each peer gets at most two copies of the whole per
// serve_window_s, past that it is rejected.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/swarm/peer_book.hpp"
#include "core/torrent/extension.hpp"

namespace corrent::torrent {

class torrent_logic;

class metadata_extension final : public extension {
 public:
  static constexpr std::uint8_t id = 2;
  static constexpr int requests_per_peer = 4;
  static constexpr double request_timeout_s = 10;
  static constexpr double serve_window_s = 60;

  metadata_extension(torrent_logic& t, std::int64_t max_size);

  std::string_view name() const override { return "ut_metadata"; }
  std::uint8_t local_id() const override { return id; }
  void fill_handshake(wire::ext::handshake& ours) const override;
  void on_handshake(peer::peer_state& p, const wire::ext::handshake& theirs, double now) override;
  bool on_message(peer::peer_state& p, std::string_view payload, double now) override;
  void on_peer_closed(peer::peer_state& p, double now) override;
  void on_tick(double now) override;
  void on_info(double now) override;

  // Fetch progress, for status: pieces received of the current attempt's total.
  std::size_t pieces_received() const;
  std::size_t pieces_total() const { return pieces_.size(); }
  std::int64_t attempt_size() const { return size_; }

 private:
  struct fetcher {
    std::int64_t size = 0;  // the metadata_size it claimed
    int outstanding = 0;
    bool done = false;  // rejected, timed out or sent a wrong size: not asked again
  };
  struct slot {
    swarm::peer_key asked = 0;  // 0: not asked
    double asked_at = 0;
    swarm::peer_key from = 0;  // 0: not received
  };
  bool on_request(peer::peer_state& p, std::uint32_t piece, double now);
  bool on_data(peer::peer_state& p, std::uint32_t piece, std::int64_t total, std::string_view data,
               double now);
  void on_reject(peer::peer_state& p, std::uint32_t piece);
  // Drops the peer's claim (and its requests) from the fetch.
  void forget(swarm::peer_key key);
  void start_attempt(std::int64_t size);
  void request_more(double now);
  void complete(double now);
  std::int64_t piece_length(std::size_t piece) const;

  torrent_logic& t_;
  std::int64_t max_size_;
  // fetching
  std::map<swarm::peer_key, fetcher> fetchers_;
  bool got_ = false;       // the whole hashed right: handed to the torrent
  std::int64_t size_ = 0;  // the current attempt (0: none)
  std::string buf_;
  std::vector<slot> pieces_;
  bool one_source_ = false;                // a shared attempt failed: one peer per attempt
  swarm::peer_key source_ = 0;             // that peer, in the current attempt
  std::set<swarm::peer_key> tried_alone_;  // peers that had an attempt of their own
  // serving: pieces sent per peer in the current window
  struct served {
    double window_start = 0;
    std::size_t count = 0;
  };
  std::map<swarm::peer_key, served> served_;
};

}  // namespace corrent::torrent
