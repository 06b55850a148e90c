// torrent_logic, piece outcomes: a verified piece is announced with `have` and earns its
// senders trust; a failed one is blamed on its senders (ban, parole, smart ban).
#include <algorithm>

#include "core/torrent/torrent_logic.hpp"

namespace corrent::torrent {

void torrent_logic::on_piece_hashed(std::uint32_t piece, bool ok,
                                    const std::vector<crypto::sha1_digest>& blocks, double now) {
  if (!picker_ || piece >= buffers_.size() || buffers_[piece] != buffer_state::pending) return;
  buffers_[piece] = buffer_state::none;
  --pending_count_;
  if (budget_) budget_->done_pending(info_->piece_length);
  update_open_cap();
  if (!ok) {
    on_piece_failed(piece, blocks);
  } else {
    if (!blocks.empty()) {
      for (const auto& liar : smart_ban_.on_piece_verified(piece, blocks)) {
        ban(liar, "sent a block that differs from the verified piece " + std::to_string(piece));
      }
    }
    // Trust and parole matter once a piece has failed; until then nothing to track.
    const auto sent =
        hash_failures_ > 0 ? picker_->contributors(piece) : std::vector<swarm::peer_key>{};
    for (const auto key : sent) {
      auto* p = find_peer(key);
      if (!p) continue;
      auto& st = book_.standing_of(p->address);
      st.trust = std::min(st.trust + 1, trust_max);
      if (sent.size() == 1 && p->parole) {  // a whole good piece ends parole
        p->parole = st.parole = false;
        picker_->end_exclusive(key);
      }
    }
    picker_->on_piece_verified(piece);
    verified_bytes_ += info_->piece_size(piece);
    // No `have` to a peer that has the piece (a seeder, typically): it cannot want it,
    // and with 20 seeders the redundant haves were a send and a peer wake-up per piece
    // each (libtorrent's send_redundant_have=false does the same).
    for (auto& [key, p] : peers_) {
      if (p->is_closing() || (p->has_bitfield && p->has.test(piece))) continue;
      p->send_have(piece);
    }
    if (picker_->download_finished()) {
      for (auto& [key, p] : peers_) update_interest(*p);
      if (!complete_sent_) {
        complete_sent_ = true;
        action a;
        a.kind = action_kind::download_complete;
        actions_.push_back(std::move(a));
      }
    }
  }
  fill_all_requests(now);
}

// A piece failed its hash check. Its only contributor is banned at once. With several,
// none can be blamed yet: each goes on parole (downloads whole pieces alone, so its next
// bad piece names it), and the blocks are recorded so that when the piece verifies the
// peer whose block differed is banned (smart ban). Each shared failure also costs trust
// that good pieces earn back: a peer in many failures and few good pieces is banned. A
// piece sent in part by a peer already banned for bad data blames no one else.
void torrent_logic::on_piece_failed(std::uint32_t piece,
                                    const std::vector<crypto::sha1_digest>& blocks) {
  ++hash_failures_;
  const auto blamed = picker_->contributors(piece);
  log(action_kind::log_warn, "piece " + std::to_string(piece) + " failed its hash check (" +
                                 std::to_string(blamed.size()) + " peer(s) sent it)");
  std::vector<std::optional<net::peer_address>> senders;
  for (const auto key : picker_->block_senders(piece)) senders.push_back(address_of(key));
  picker_->on_piece_failed(piece);
  const bool liar_known = std::any_of(
      blamed.begin(), blamed.end(), [&](swarm::peer_key k) { return banned_keys_.count(k) != 0; });
  if (liar_known) return;
  if (blamed.size() > 1) smart_ban_.on_piece_failed(piece, senders, blocks);
  for (auto key : blamed) {
    // A sender that hung up is blamed all the same, by its address.
    const auto address = address_of(key);
    if (!address) continue;
    auto* p = find_peer(key);
    if (p) ++p->hash_failures;
    if (auto it = finished_.find(*address); !p && it != finished_.end()) ++it->second.hash_failures;
    auto& st = book_.standing_of(*address);
    const bool parole = p ? p->parole : st.parole;
    // On parole already, a shared failure is a piece from before it (its own pieces it
    // downloads alone): no trust lost, or an honest peer sharing those with the liar
    // would be banned with it before smart ban can tell them apart.
    if (!parole || blamed.size() == 1) st.trust -= trust_per_failure;
    if (blamed.size() == 1) {
      ban(*address, "sent a piece that failed the hash check, alone");
    } else if (st.trust <= trust_ban) {
      const int failures = p ? p->hash_failures : -st.trust / trust_per_failure;
      ban(*address, "in " + std::to_string(failures) + " pieces that failed the hash check");
    } else if (!parole) {
      log(action_kind::log_info,
          "peer " + address->to_string() + " on parole: downloads whole pieces alone");
      st.parole = true;
      if (p) p->parole = true;
    }
  }
}

}  // namespace corrent::torrent
