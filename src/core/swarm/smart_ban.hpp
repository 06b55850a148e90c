// swarm::smart_ban — which peer sent the bad block of a piece that failed its hash check.
//
// When a piece with blocks from several peers fails, the piece hash alone cannot say who
// lied. The session records, per block, the sender and the SHA-1 of the block it sent.
// When the piece later verifies (re-downloaded), each recorded block is compared with the
// good block: a sender whose block differs sent corrupt data and is named once; honest
// contributors are cleared. Bounded: at most `max_pieces` failed pieces are watched (the
// oldest is forgotten first), each piece's record at most `max_records_per_piece` blocks.
// Pure: data in, names out (the piece bytes are hashed by the caller's thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/crypto/sha1.hpp"
#include "core/net/peer_address.hpp"

namespace corrent::swarm {

// SHA-1 of each 16 KiB block of one piece's bytes (the last one may be shorter).
std::vector<crypto::sha1_digest> block_digests(std::string_view piece_data);

class smart_ban {
 public:
  static constexpr std::size_t max_records_per_piece = 4096;

  explicit smart_ban(std::size_t max_pieces = 64) : max_pieces_(max_pieces) {}

  // `piece` failed: block i came from senders[i] (nullopt: unknown) and hashed to
  // digests[i]. Blocks past the shorter of the two spans are ignored.
  void on_piece_failed(std::uint32_t piece,
                       std::span<const std::optional<net::peer_address>> senders,
                       std::span<const crypto::sha1_digest> digests);

  // Whether a failed record waits for this piece (then hash its blocks when it verifies).
  bool watching(std::uint32_t piece) const { return records_.count(piece) != 0; }

  // `piece` verified and its blocks hash to `good`: the senders of blocks that differed,
  // each once, in address order. The record is dropped.
  std::vector<net::peer_address> on_piece_verified(std::uint32_t piece,
                                                   std::span<const crypto::sha1_digest> good);

  std::size_t watched_pieces() const { return records_.size(); }

 private:
  struct entry {
    net::peer_address sender;
    crypto::sha1_digest digest{};
  };
  // Per piece, by block: a duplicate check looks at one block's few entries, not the
  // whole record (that was quadratic in the blocks of a large piece).
  using record = std::multimap<std::uint32_t, entry>;
  std::size_t max_pieces_;
  std::map<std::uint32_t, record> records_;
  std::deque<std::uint32_t> order_;  // oldest watched piece first
};

}  // namespace corrent::swarm
