#include "core/swarm/piece_picker.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "core/swarm/errc.hpp"
#include "core/swarm/work_queue.hpp"

namespace corrent::swarm {
namespace {

constexpr std::uint32_t block_size = 16 * 1024;
constexpr std::uint32_t npos = std::numeric_limits<std::uint32_t>::max();

std::uint64_t next_random(std::uint64_t x) {  // splitmix64: one random in, a stream out
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct block_info {
  peer_key requester = 0;  // the first peer asked, when num_requesters > 0
  peer_key sender = 0;     // who delivered it, once received
  std::uint32_t num_requesters = 0;
  bool received = false;
};

// One piece in progress. Slots are recycled, so their vectors keep their capacity and
// the steady state allocates nothing per block.
struct partial {
  std::uint32_t piece = 0;
  std::uint32_t num_blocks = 0;
  std::uint32_t num_received = 0;
  std::uint32_t num_requested = 0;  // blocks asked of someone, not received yet
  std::uint32_t cursor = 0;         // no unrequested block before this index
  std::uint32_t downloading_pos = npos;
  std::uint32_t requestable_pos = npos;
  bool exclusive = false;  // a peer on parole downloads it alone: no one else's blocks
  peer_key owner = 0;      // that peer, when exclusive
  std::vector<block_info> blocks;
  std::vector<std::pair<std::uint32_t, peer_key>> extra;    // endgame: (block, further requester)
  std::vector<std::pair<peer_key, std::uint32_t>> workers;  // peer -> blocks it was asked for
  std::vector<peer_key> contributors;                       // peers whose blocks we took

  std::uint32_t unrequested() const { return num_blocks - num_received - num_requested; }
};

}  // namespace

struct piece_picker::impl {
  std::uint32_t num_pieces = 0;
  std::uint32_t piece_length = 0;
  std::uint32_t last_piece_size = 0;

  work_queue queue;
  bitfield have;
  std::vector<std::uint32_t> slot_of;  // per in-progress piece: its index in slots

  std::vector<partial> slots;
  std::vector<std::uint32_t> free_slots;
  std::vector<std::uint32_t> downloading;  // slots with a block not received yet
  std::vector<std::uint32_t> requestable;  // slots with a block nobody was asked for
  std::uint64_t unrequested = 0;           // over all in-progress pieces
  std::uint32_t in_progress = 0;
  std::uint32_t max_open = npos;

  // --- geometry ---
  std::uint32_t piece_size(std::uint32_t p) const {
    return p + 1 == num_pieces ? last_piece_size : piece_length;
  }
  std::uint32_t blocks_in(std::uint32_t p) const {
    return (piece_size(p) + block_size - 1) / block_size;
  }
  block_ref block(std::uint32_t p, std::uint32_t index) const {
    const std::uint32_t begin = index * block_size;
    return {p, begin, std::min(block_size, piece_size(p) - begin)};
  }
  bool in_progress_piece(std::uint32_t p) const {
    return p < num_pieces && !have.test(p) && !queue.contains(p);
  }
  // The in-progress slot and block index `b` names exactly, or npos.
  std::uint32_t find(const block_ref& b, std::uint32_t& index) const {
    if (!in_progress_piece(b.piece) || b.begin % block_size != 0) return npos;
    index = b.begin / block_size;
    if (index >= blocks_in(b.piece) || block(b.piece, index).length != b.length) return npos;
    return slot_of[b.piece];
  }

  // --- slot lists (unordered; each slot remembers its position) ---
  static void list_add(std::vector<std::uint32_t>& list, std::uint32_t& pos, std::uint32_t slot) {
    if (pos != npos) return;
    pos = static_cast<std::uint32_t>(list.size());
    list.push_back(slot);
  }
  void list_remove(std::vector<std::uint32_t>& list, std::uint32_t partial::*pos_member,
                   std::uint32_t slot) {
    std::uint32_t& pos = slots[slot].*pos_member;
    if (pos == npos) return;
    const std::uint32_t moved = list.back();
    list[pos] = moved;
    slots[moved].*pos_member = pos;
    list.pop_back();
    pos = npos;
  }
  void update_requestable(std::uint32_t slot) {
    if (slots[slot].unrequested() > 0) {
      list_add(requestable, slots[slot].requestable_pos, slot);
    } else {
      list_remove(requestable, &partial::requestable_pos, slot);
    }
  }

  // --- moving pieces between the queue and "in progress" ---
  std::uint32_t claim(std::uint32_t p) {
    queue.erase(p);
    std::uint32_t slot;
    if (free_slots.empty()) {
      slot = static_cast<std::uint32_t>(slots.size());
      slots.emplace_back();
    } else {
      slot = free_slots.back();
      free_slots.pop_back();
    }
    partial& s = slots[slot];
    s.piece = p;
    s.num_blocks = blocks_in(p);
    s.num_received = s.num_requested = s.cursor = 0;
    s.exclusive = false;
    s.owner = 0;
    s.blocks.assign(s.num_blocks, block_info{});
    s.extra.clear();
    s.workers.clear();
    s.contributors.clear();
    list_add(downloading, s.downloading_pos, slot);
    list_add(requestable, s.requestable_pos, slot);
    unrequested += s.num_blocks;
    ++in_progress;
    slot_of[p] = slot;
    return slot;
  }
  void release(std::uint32_t slot) {
    unrequested -= slots[slot].unrequested();
    list_remove(downloading, &partial::downloading_pos, slot);
    list_remove(requestable, &partial::requestable_pos, slot);
    free_slots.push_back(slot);
    --in_progress;
  }
  void requeue_if_idle(std::uint32_t slot) {
    const partial& s = slots[slot];
    if (s.num_received != 0 || s.num_requested != 0) return;
    const std::uint32_t p = s.piece;
    release(slot);
    queue.push(p);
  }

  // --- requesters of one block ---
  static bool is_worker(const partial& s, peer_key who) {
    return std::any_of(s.workers.begin(), s.workers.end(),
                       [who](const auto& w) { return w.first == who; });
  }
  static void worker_add(partial& s, peer_key who) {
    for (auto& w : s.workers) {
      if (w.first == who) {
        ++w.second;
        return;
      }
    }
    s.workers.emplace_back(who, 1);
  }
  static void worker_remove(partial& s, peer_key who) {
    for (auto& w : s.workers) {
      if (w.first == who) {
        if (--w.second == 0) {
          w = s.workers.back();
          s.workers.pop_back();
        }
        return;
      }
    }
  }
  static bool is_requester(const partial& s, std::uint32_t b, peer_key who) {
    const block_info& bi = s.blocks[b];
    if (bi.num_requesters == 0) return false;
    if (bi.requester == who) return true;
    return bi.num_requesters > 1 &&
           std::find(s.extra.begin(), s.extra.end(), std::pair{b, who}) != s.extra.end();
  }
  void add_requester(partial& s, std::uint32_t b, peer_key who) {
    block_info& bi = s.blocks[b];
    if (bi.num_requesters++ == 0) {
      bi.requester = who;
      ++s.num_requested;
      --unrequested;
    } else {
      s.extra.emplace_back(b, who);
    }
    worker_add(s, who);
  }
  bool remove_requester(partial& s, std::uint32_t b, peer_key who) {
    block_info& bi = s.blocks[b];
    if (bi.num_requesters == 0) return false;
    const auto match = [&](const auto& e) {
      return e.first == b && (bi.requester == who || e.second == who);
    };
    if (bi.requester != who || bi.num_requesters > 1) {
      const auto it = std::find_if(s.extra.begin(), s.extra.end(), match);
      if (it == s.extra.end()) return false;               // only reachable when who never asked
      if (bi.requester == who) bi.requester = it->second;  // promote a further requester
      *it = s.extra.back();
      s.extra.pop_back();
    }
    --bi.num_requesters;
    worker_remove(s, who);
    if (bi.num_requesters == 0) {
      --s.num_requested;
      ++unrequested;
      s.cursor = std::min(s.cursor, b);
    }
    return true;
  }

  // --- picking ---
  void request_unrequested(std::uint32_t slot, peer_key who, std::size_t& want,
                           std::vector<block_ref>& out) {
    partial& s = slots[slot];
    std::uint32_t b = s.cursor;
    for (; b < s.num_blocks && want > 0 && s.unrequested() > 0; ++b) {
      if (s.blocks[b].received || s.blocks[b].num_requesters != 0) continue;
      add_requester(s, b, who);
      out.push_back(block(s.piece, b));
      --want;
    }
    s.cursor = b;
    update_requestable(slot);
  }
  // Walks `requestable` backwards: a slot that runs out of unrequested blocks is swapped
  // with the last one, which was visited already.
  template <class Pred>
  void request_from_partials(Pred pred, peer_key who, std::size_t& want,
                             std::vector<block_ref>& out) {
    for (std::size_t i = requestable.size(); want > 0 && i > 0;) {
      --i;
      if (pred(slots[requestable[i]])) request_unrequested(requestable[i], who, want, out);
    }
  }
  // Endgame: blocks already asked of others, those asked of the fewest peers first.
  void request_duplicates(peer_key who, const bitfield& peer_has, std::size_t& want,
                          std::vector<block_ref>& out) {
    for (const bool only_single : {true, false}) {
      for (const std::uint32_t slot : downloading) {
        partial& s = slots[slot];
        if (!peer_has.test(s.piece) || s.exclusive) continue;
        for (std::uint32_t b = 0; b < s.num_blocks && want > 0; ++b) {
          const block_info& bi = s.blocks[b];
          if (bi.received || bi.num_requesters == 0) continue;
          if (only_single ? bi.num_requesters != 1 : bi.num_requesters < 2) continue;
          if (is_requester(s, b, who)) continue;
          add_requester(s, b, who);
          out.push_back(block(s.piece, b));
          --want;
        }
        if (want == 0) return;
      }
    }
  }
};

piece_picker::piece_picker(std::int64_t num_pieces, std::int64_t piece_length,
                           std::int64_t total_length)
    : impl_(std::make_unique<impl>()) {
  // The metainfo parser has checked these; clamp anyway so nothing below can overflow.
  const auto n = static_cast<std::uint32_t>(std::clamp<std::int64_t>(num_pieces, 0, npos - 1));
  const auto length =
      static_cast<std::uint32_t>(std::clamp<std::int64_t>(piece_length, 1, std::int64_t{1} << 30));
  impl& m = *impl_;
  m.num_pieces = n;
  m.piece_length = length;
  const std::int64_t last = n == 0 ? 0 : total_length - std::int64_t{n - 1} * length;
  m.last_piece_size = static_cast<std::uint32_t>(std::clamp<std::int64_t>(last, 1, length));
  m.queue = work_queue(n);
  m.have = bitfield(n);
  m.slot_of.assign(n, npos);
}

piece_picker::~piece_picker() = default;
piece_picker::piece_picker(piece_picker&&) noexcept = default;
piece_picker& piece_picker::operator=(piece_picker&&) noexcept = default;

std::uint32_t piece_picker::num_pieces() const {
  return impl_->num_pieces;
}
std::uint32_t piece_picker::blocks_in_piece(std::uint32_t piece) const {
  return piece < impl_->num_pieces ? impl_->blocks_in(piece) : 0;
}
std::uint32_t piece_picker::piece_size(std::uint32_t piece) const {
  return piece < impl_->num_pieces ? impl_->piece_size(piece) : 0;
}

void piece_picker::add_peer(const bitfield& peer_has) {
  impl_->queue.add_peer(peer_has);
}
void piece_picker::remove_peer(const bitfield& peer_has) {
  impl_->queue.remove_peer(peer_has);
}
void piece_picker::add_have(std::uint32_t piece) {
  impl_->queue.add_have(piece);
}

std::optional<std::uint32_t> piece_picker::get_piece_from_work_queue(const bitfield& peer_has,
                                                                     std::uint64_t random) {
  const auto piece = impl_->queue.rarest(peer_has, random);
  if (piece) impl_->claim(*piece);
  return piece;
}

void piece_picker::put_piece_back_to_work_queue(std::uint32_t piece) {
  impl& m = *impl_;
  if (!m.in_progress_piece(piece)) return;
  m.release(m.slot_of[piece]);
  m.queue.push(piece);
}

void piece_picker::end_exclusive(peer_key who) {
  for (partial& s : impl_->slots) {
    if (s.owner == who) s.exclusive = false;
  }
}

void piece_picker::set_max_open_pieces(std::uint32_t n) {
  impl_->max_open = std::max<std::uint32_t>(n, 1);
}

bool piece_picker::owns_open_piece(peer_key who) const {
  const impl& m = *impl_;
  return std::any_of(m.downloading.begin(), m.downloading.end(), [&](std::uint32_t slot) {
    return m.slots[slot].exclusive && m.slots[slot].owner == who;
  });
}

void piece_picker::pick_blocks(peer_key who, const bitfield& peer_has, std::size_t max,
                               std::uint64_t random, std::vector<block_ref>& out, bool exclusive) {
  impl& m = *impl_;
  if (max == 0 || peer_has.size() != m.num_pieces) return;
  std::size_t want = max;
  // A peer on parole works only on pieces nobody else touches: a piece it alone sent
  // that fails its hash check names it.
  const auto mine = [&](const partial& s) {
    return exclusive ? s.exclusive && s.owner == who : !s.exclusive || s.owner == who;
  };
  // Pieces this peer is already downloading, then other open pieces it has: open pieces
  // finish sooner and fewer of them are open at once.
  m.request_from_partials(
      [&](const partial& s) {
        return peer_has.test(s.piece) && mine(s) && impl::is_worker(s, who);
      },
      who, want, out);
  // (On parole: its own pieces, including those it has no request out for any more.)
  m.request_from_partials([&](const partial& s) { return peer_has.test(s.piece) && mine(s); }, who,
                          want, out);
  for (std::uint64_t r = random; want > 0; r = next_random(r)) {
    // Everyone stops at the cap (each open piece is a buffer of the session's budget); a
    // peer on parole also opens only one piece at a time.
    if (m.downloading.size() >= m.max_open || (exclusive && owns_open_piece(who))) break;
    const auto piece = get_piece_from_work_queue(peer_has, r);
    if (!piece) break;
    partial& s = m.slots[m.slot_of[*piece]];
    s.exclusive = exclusive;
    s.owner = who;
    m.request_unrequested(m.slot_of[*piece], who, want, out);
  }
  if (want > 0 && !exclusive && in_endgame()) m.request_duplicates(who, peer_has, want, out);
}

piece_picker::received piece_picker::on_block_received(peer_key who, const block_ref& block) {
  impl& m = *impl_;
  received r;
  std::uint32_t b = 0;
  const std::uint32_t slot = m.find(block, b);
  if (slot == npos) return r;
  partial& s = m.slots[slot];
  block_info& bi = s.blocks[b];
  if (bi.received || bi.num_requesters == 0) return r;
  r.wanted = true;
  // Everyone else who was asked for this block gets a cancel.
  if (bi.requester != who) r.cancel.push_back(bi.requester);
  impl::worker_remove(s, bi.requester);
  for (std::size_t i = s.extra.size(); i > 0;) {
    --i;
    if (s.extra[i].first != b) continue;
    if (s.extra[i].second != who) r.cancel.push_back(s.extra[i].second);
    impl::worker_remove(s, s.extra[i].second);
    s.extra[i] = s.extra.back();
    s.extra.pop_back();
  }
  bi.num_requesters = 0;
  bi.received = true;
  bi.sender = who;
  --s.num_requested;
  ++s.num_received;
  if (std::find(s.contributors.begin(), s.contributors.end(), who) == s.contributors.end()) {
    s.contributors.push_back(who);
  }
  if (s.num_received == s.num_blocks) {
    r.piece_complete = true;
    m.list_remove(m.downloading, &partial::downloading_pos, slot);
  }
  return r;
}

void piece_picker::on_request_dropped(peer_key who, const block_ref& block) {
  impl& m = *impl_;
  std::uint32_t b = 0;
  const std::uint32_t slot = m.find(block, b);
  if (slot == npos || m.slots[slot].blocks[b].received) return;
  if (!m.remove_requester(m.slots[slot], b, who)) return;
  if (m.slots[slot].owner == who) m.slots[slot].exclusive = false;  // others may finish it
  m.update_requestable(slot);
  m.requeue_if_idle(slot);
}

void piece_picker::on_peer_gone(peer_key who) {
  impl& m = *impl_;
  // Backwards: requeue_if_idle swaps the last slot into position i.
  for (std::size_t i = m.downloading.size(); i > 0;) {
    --i;
    const std::uint32_t slot = m.downloading[i];
    partial& s = m.slots[slot];
    if (s.owner == who) s.exclusive = false;  // others may finish its pieces
    if (!impl::is_worker(s, who)) continue;
    for (std::uint32_t b = 0; b < s.num_blocks && impl::is_worker(s, who); ++b) {
      if (!s.blocks[b].received) m.remove_requester(s, b, who);
    }
    m.update_requestable(slot);
    m.requeue_if_idle(slot);
  }
}

void piece_picker::on_piece_verified(std::uint32_t piece) {
  impl& m = *impl_;
  if (piece >= m.num_pieces || m.have.test(piece)) return;
  if (m.queue.contains(piece)) {
    m.queue.erase(piece);
  } else {
    m.release(m.slot_of[piece]);
  }
  m.have.set(piece);
}

void piece_picker::on_piece_failed(std::uint32_t piece) {
  impl& m = *impl_;
  if (piece >= m.num_pieces || m.queue.contains(piece)) return;
  if (m.have.test(piece)) {
    m.have.reset(piece);
  } else {
    m.release(m.slot_of[piece]);
  }
  m.queue.push(piece);
}

std::vector<peer_key> piece_picker::contributors(std::uint32_t piece) const {
  if (!impl_->in_progress_piece(piece)) return {};
  return impl_->slots[impl_->slot_of[piece]].contributors;
}

std::vector<peer_key> piece_picker::block_senders(std::uint32_t piece) const {
  if (!impl_->in_progress_piece(piece)) return {};
  const partial& s = impl_->slots[impl_->slot_of[piece]];
  std::vector<peer_key> out;
  out.reserve(s.blocks.size());
  for (const block_info& bi : s.blocks) out.push_back(bi.sender);
  return out;
}

bool piece_picker::have(std::uint32_t piece) const {
  return piece < impl_->num_pieces && impl_->have.test(piece);
}
const bitfield& piece_picker::have_bitfield() const {
  return impl_->have;
}
std::uint32_t piece_picker::have_count() const {
  return static_cast<std::uint32_t>(impl_->have.count());
}
bool piece_picker::download_finished() const {
  return impl_->have.all();
}
bool piece_picker::in_endgame() const {
  return !download_finished() && impl_->queue.empty() && impl_->unrequested == 0;
}

bool piece_picker::is_interesting(const bitfield& peer_has) const {
  if (peer_has.size() != impl_->num_pieces) return false;
  // A peer with more pieces than we have holds one we lack; seeds end up here.
  if (peer_has.count() > impl_->have.count()) return true;
  const auto has = peer_has.words();
  const auto ours = impl_->have.words();
  for (std::size_t w = 0; w < has.size(); ++w) {
    if ((has[w] & ~ours[w]) != 0) return true;
  }
  return false;
}

std::uint32_t piece_picker::availability(std::uint32_t piece) const {
  return piece < impl_->num_pieces ? impl_->queue.availability(piece) : 0;
}

boost::system::error_code piece_picker::check_block(const block_ref& block) const {
  if (block.piece >= impl_->num_pieces) return make_error_code(errc::piece_out_of_range);
  const std::uint32_t size = impl_->piece_size(block.piece);
  if (block.length == 0 || block.length > block_size || block.begin > size ||
      block.length > size - block.begin) {
    return make_error_code(errc::block_out_of_range);
  }
  return {};
}

piece_picker::piece_state piece_picker::state(std::uint32_t piece) const {
  if (have(piece)) return piece_state::have;
  if (piece >= impl_->num_pieces || impl_->queue.contains(piece)) return piece_state::queued;
  return piece_state::in_progress;
}
std::uint32_t piece_picker::in_progress_count() const {
  return impl_->in_progress;
}

block_ref piece_picker::block(std::uint32_t piece, std::uint32_t index) const {
  return impl_->block(piece, index);
}

std::uint32_t piece_picker::requesters(std::uint32_t piece, std::uint32_t index) const {
  if (!impl_->in_progress_piece(piece) || index >= impl_->blocks_in(piece)) return 0;
  return impl_->slots[impl_->slot_of[piece]].blocks[index].num_requesters;
}

bool piece_picker::is_block_received(std::uint32_t piece, std::uint32_t index) const {
  if (!impl_->in_progress_piece(piece) || index >= impl_->blocks_in(piece)) return false;
  return impl_->slots[impl_->slot_of[piece]].blocks[index].received;
}

}  // namespace corrent::swarm
