// swarm::piece_picker — which blocks to request from which peer (BEP 3).
//
// The torrent is cut into pieces, each piece into 16 KiB blocks (the last block of the
// last piece may be shorter). Pieces that are neither complete nor in progress form the
// work queue; get_piece_from_work_queue() hands out the rarest one a peer has (random
// tie-break), put_piece_back_to_work_queue() returns a piece nobody is working on any
// more (its peer choked us or disconnected). pick_blocks() is what the session calls:
// it first finishes pieces already in progress, then starts new ones from the work queue.
// When every missing block is already requested (endgame), pick_blocks() hands out
// blocks requested from other peers too, and on_block_received() names the peers whose
// duplicate requests should be cancelled.
//
// Invariants: a piece is in exactly one of {work queue, in progress, complete (have)};
// no block is requested twice from the same peer; outside endgame no block is requested
// from two peers. Deterministic: randomness is passed in. Costs: pick_blocks is
// O(blocks returned + open pieces with unrequested blocks + availability buckets); the
// queue is kept bucketed by availability (work_queue.hpp), so a piece is found without a
// scan of all pieces. The one exception is a peer that holds few or none of the rarest
// queued pieces: after a bounded walk it costs one word-parallel pass over the words that
// still hold queued pieces (at most pieces / 64 steps). Endgame picks and on_peer_gone
// walk the open pieces. No allocation per block in the steady state.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/swarm/bitfield.hpp"

namespace corrent::swarm {

using peer_key = std::uint32_t;  // the session's id for one connection

struct block_ref {
  std::uint32_t piece = 0;
  std::uint32_t begin = 0;   // byte offset in the piece, a multiple of 16 KiB
  std::uint32_t length = 0;  // 16 KiB except the last block of the last piece
  friend bool operator==(const block_ref&, const block_ref&) = default;
};

class piece_picker {
 public:
  piece_picker(std::int64_t num_pieces, std::int64_t piece_length, std::int64_t total_length);
  ~piece_picker();
  piece_picker(piece_picker&&) noexcept;
  piece_picker& operator=(piece_picker&&) noexcept;

  std::uint32_t num_pieces() const;
  std::uint32_t blocks_in_piece(std::uint32_t piece) const;
  std::uint32_t piece_size(std::uint32_t piece) const;

  // --- availability (how many connected peers have each piece) ---
  void add_peer(const bitfield& peer_has);     // bitfield / have_all on connect
  void remove_peer(const bitfield& peer_has);  // on disconnect
  void add_have(std::uint32_t piece);          // a `have` message

  // --- the work queue ---
  // The rarest piece in the work queue that the peer has (ties broken by `random`),
  // moved to "in progress"; nullopt when the peer has none we need.
  std::optional<std::uint32_t> get_piece_from_work_queue(const bitfield& peer_has,
                                                         std::uint64_t random);
  // An in-progress piece goes back to the queue; its received blocks are forgotten.
  void put_piece_back_to_work_queue(std::uint32_t piece);

  // At most this many pieces being downloaded — in progress with a block still missing;
  // each costs the session a piece buffer (pieces waiting for their hash check are the
  // session's to cap): once reached, peers share the open pieces instead of starting new ones. A
  // peer on parole (exclusive) has one piece open at a time, within the cap too. Default:
  // unlimited.
  void set_max_open_pieces(std::uint32_t n);

  // --- requests ---
  // Appends up to `max` blocks to request from `who` to `out`. `exclusive` (a peer on
  // parole after a failed piece): only blocks of pieces `who` downloads alone, new ones
  // from the work queue included; no one else is given blocks of those pieces, not even
  // in endgame, until `who` drops a request of it or is gone.
  void pick_blocks(peer_key who, const bitfield& peer_has, std::size_t max, std::uint64_t random,
                   std::vector<block_ref>& out, bool exclusive = false);
  // `who` is off parole: the pieces it holds alone are open to everyone again.
  void end_exclusive(peer_key who);

  struct received {
    bool wanted = false;           // false: not requested, already received, or piece done
    bool piece_complete = false;   // every block of the piece is now in: hash it
    std::vector<peer_key> cancel;  // endgame: others who were asked for this block
  };
  received on_block_received(peer_key who, const block_ref& block);

  // `who` will not deliver `block` (reject, choke, timeout): it becomes requestable again.
  void on_request_dropped(peer_key who, const block_ref& block);
  // Every request of `who` dropped (disconnect, choke). Pieces left with no received
  // block and no requester go back to the work queue.
  void on_peer_gone(peer_key who);

  // --- verification ---
  void on_piece_verified(std::uint32_t piece);  // now complete; also used at resume
  void on_piece_failed(std::uint32_t piece);    // hash mismatch: back to the work queue
  // Peers that sent blocks of `piece` (call before on_piece_failed to blame them).
  std::vector<peer_key> contributors(std::uint32_t piece) const;
  // For each block of an in-progress piece, the peer that delivered it (0 if none yet).
  std::vector<peer_key> block_senders(std::uint32_t piece) const;

  // --- state ---
  bool have(std::uint32_t piece) const;
  const bitfield& have_bitfield() const;
  std::uint32_t have_count() const;
  bool download_finished() const;  // every piece verified
  bool in_endgame() const;         // no unrequested block remains
  // Whether `peer_has` holds any piece we still need (drives `interested`). O(1) when the
  // peer has more pieces than we do, else up to pieces / 64 steps; after a `have`,
  // !have(piece) answers for the new piece alone.
  bool is_interesting(const bitfield& peer_has) const;
  std::uint32_t availability(std::uint32_t piece) const;

  // errc::piece_out_of_range / errc::block_out_of_range when a request or piece message
  // does not fit the torrent: length 0 or over 16 KiB, or running past the piece's end.
  boost::system::error_code check_block(const block_ref& block) const;

  // --- introspection (progress display, tests) ---
  enum class piece_state : std::uint8_t { queued, in_progress, have };
  piece_state state(std::uint32_t piece) const;
  std::uint32_t in_progress_count() const;
  // Block `index` of `piece`, begin and length filled in.
  block_ref block(std::uint32_t piece, std::uint32_t index) const;
  // For a block of an in-progress piece: how many peers it is requested from right now,
  // and whether it has been received. 0 / false for pieces not in progress.
  std::uint32_t requesters(std::uint32_t piece, std::uint32_t index) const;
  bool is_block_received(std::uint32_t piece, std::uint32_t index) const;

 private:
  bool owns_open_piece(peer_key who) const;
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace corrent::swarm
