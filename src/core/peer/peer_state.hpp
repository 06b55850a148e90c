// peer::peer_state — one connection's protocol state (BEP 3): who chokes whom, who is
// interested, which pieces the peer has, the requests we sent it and the requests it
// sent us; and the messages that change that state, both ways. Sending a message here
// updates the state and appends its bytes to `out`, which the io layer writes as they
// are; a message received updates the state and says what the torrent must do about
// it (blocks dropped by a choke, a request to queue or refuse, a block we asked for).
//
// Rules kept here, for one connection:
//   * a choke from the peer voids every request we sent it (BEP 3), returned to the caller;
//     with the fast extension (BEP 6) it does not: the peer rejects what it will not serve;
//   * a choke from us voids every request it sent us (BEP 3): they are never served; with
//     the fast extension each is rejected, except those for its allowed-fast pieces;
//   * a request while we choke it, or for a piece we do not have, is ignored (with the fast
//     extension: rejected, unless the piece is allowed-fast and ours); one out of range, or
//     past max_queued_requests, closes the connection;
//   * a cancel removes its request (with the fast extension, and a reject is sent: BEP 6
//     says every request gets an answer);
//   * a request is never sent twice to the same peer; a cancel removes it.
// Pure and single-threaded; time is passed in as seconds on any monotonic clock.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/net/peer_address.hpp"
#include "core/peer/close_reason.hpp"
#include "core/peer/rate_meter.hpp"
#include "core/swarm/bitfield.hpp"
#include "core/swarm/piece_picker.hpp"
#include "core/wire/message.hpp"

namespace corrent::peer {

class peer_state {
 public:
  static constexpr std::size_t max_queued_requests = 2048;  // theirs; more is a flood

  // `dirty`: where this peer's key is appended (once) when `out` goes from empty to not,
  // so the io layer knows whom to flush without a pass over every peer.
  peer_state(swarm::peer_key key, net::peer_address address, bool outgoing,
             std::vector<swarm::peer_key>* dirty = nullptr);

  const swarm::peer_key key;
  const net::peer_address address;
  const bool outgoing;
  wire::peer_id id{};
  std::array<std::uint8_t, 8> reserved{};  // the peer's handshake reserved bits

  // --- BEP 3 state ---
  bool am_choking = true;
  bool am_interested = false;
  bool peer_choking = true;
  bool peer_interested = false;
  bool has_bitfield = false;        // we know its pieces (bitfield, have_all/none, or haves)
  bool bitfield_received = false;   // its one bitfield / have_all / have_none came
  bool late_have_all_seen = false;  // and one have_all / have_none after it (aria2)
  swarm::bitfield has;
  // Pieces it refused while unchoking us (BEP 6 reject: a seed sparing its upload past its
  // ratio): not asked of it again until refused_until, so that a request and its reject
  // do not go back and forth.
  swarm::bitfield refused;
  double refused_until = 0;
  std::deque<swarm::block_ref> requests;  // ours, outstanding, oldest first
  std::deque<double> request_sent_at;     // when each of `requests` went out
  std::deque<swarm::block_ref> incoming;  // theirs, not yet served, oldest first
  std::int64_t upload_in_flight = 0;      // bytes taken to send, not yet handed over
  // Pieces it got whole from us (sized at the first): held by it as soon as its HAVE
  // comes, so the seed ratio counts them while it stays connected.
  swarm::bitfield sent_whole;

  // --- kept per connection for the torrent ---
  bool download_slot = false;  // holds one of the torrent's download slots
  bool parole = false;         // downloads whole pieces alone after a shared failed piece
  double snubbed_until = 0;    // its requests timed out: none are sent to it until then
  int request_timeouts = 0;    // in a row, since the last requested block
  int hash_failures = 0;
  rate_meter downloaded;  // payload from it
  rate_meter uploaded;    // payload to it
  double connected_at = 0;
  double last_block_at = 0;  // a block arrived, or the first request of a queue went out
  close_reason closing = close_reason::none;  // set: the torrent wants it closed
  std::string close_detail;

  bool dht_port_seen = false;  // BEP 5 `port` message taken

  // --- BEP 6, the fast extension (both set the reserved bit) ---
  static constexpr std::size_t max_allowed_fast = 32;  // kept of its allowed_fast messages
  bool fast_extension = false;
  std::vector<std::uint32_t> allowed_fast_in;   // it lets us request these while it chokes us
  std::vector<std::uint32_t> allowed_fast_out;  // we let it request these while we choke it

  // --- BEP 10, the extension protocol (both set the reserved bit) ---
  bool extensions = false;
  bool ext_handshake_received = false;
  std::vector<std::pair<std::string, std::uint8_t>> ext_ids;  // its id for each extension
  std::uint8_t ext_id(std::string_view name) const;           // 0: it does not support it
  std::string client;                                         // its `v`, printable
  std::uint16_t listen_port = 0;  // its `p` (incoming connections: where it listens)
  std::uint32_t reqq = 0;         // its request queue size (0: not said)
  bool upload_only = false;       // BEP 21: it wants nothing

  // Availability received before the torrent's `info` (a magnet): kept, bounded, and
  // replayed when the `info` comes (torrent_logic::set_info).
  static constexpr std::size_t max_early_haves = 4096;
  std::string early_bitfield;
  bool early_have_all = false;
  std::vector<std::uint32_t> early_haves;

  // Encoded messages not yet handed to the connection.
  std::string out;
  // Called by the io layer once it took `out` (swap it with an empty string).
  void flushed() { dirty_listed_ = false; }

  bool is_closing() const { return closing != close_reason::none; }
  void close(close_reason why, std::string detail = {});

  // --- messages out: state change + bytes in `out` ---
  void send_bitfield(const swarm::bitfield& ours);
  void send_have(std::uint32_t piece);
  void send_choke();  // also drops every request it sent us
  void send_unchoke();
  void send_interested(bool interested);  // only when it changes
  void send_request(const swarm::block_ref& b, double now);
  // Removes `b` from our requests and sends a cancel; false (nothing sent) when we had
  // not asked it for `b`.
  bool send_cancel(const swarm::block_ref& b);
  void send_keep_alive();
  // BEP 6 (only when fast_extension).
  void send_have_all();
  void send_have_none();
  void send_port(std::uint16_t port);  // BEP 5: our DHT node's UDP port
  void send_allowed_fast(std::uint32_t piece);
  void send_reject(const swarm::block_ref& b);
  // BEP 10: `id` is the peer's id for the extension (0: the extended handshake).
  void send_extended(std::uint8_t id, std::string_view payload);

  // --- messages in ---
  // BEP 3: our requests are void. They are moved to `dropped` (appended). With the fast
  // extension they stand until served or rejected.
  void on_choke(std::vector<swarm::block_ref>& dropped);
  void on_unchoke() { peer_choking = false; }
  void on_interested() { peer_interested = true; }
  void on_not_interested() { peer_interested = false; }

  enum class request_verdict { queued, ignored, rejected, flood };
  // A request already checked against the torrent's geometry. `we_have`: the piece is ours.
  request_verdict on_request(const swarm::block_ref& b, bool we_have);
  void on_cancel(const swarm::block_ref& b);
  // Whether it may ask for `piece` while we choke it (an allowed-fast piece).
  bool allowed_while_choked(std::uint32_t piece) const;
  // Whether we may ask it for `piece` while it chokes us.
  bool allows_us(std::uint32_t piece) const;
  // A block: true when we had asked for it (it is no longer outstanding); false for one
  // we never requested or already cancelled. A reject (BEP 6) likewise; the caller
  // refuses it when the fast extension was not negotiated.
  bool on_reject(const swarm::block_ref& b) { return remove_request(b); }
  bool on_block(const swarm::block_ref& b) { return remove_request(b); }

 private:
  bool remove_request(const swarm::block_ref& b);
  void touch();  // `out` was appended to

  std::vector<swarm::peer_key>* dirty_;
  bool dirty_listed_ = false;
};

}  // namespace corrent::peer
