// torrent_logic, what peers have (BEP 3, BEP 6): bitfield, have, have_all and have_none
// checked and counted in the picker; and what came before the torrent's `info` (a
// magnet), kept and replayed when it comes.
#include <bit>

#include "core/metainfo/info.hpp"
#include "core/torrent/torrent_logic.hpp"

namespace corrent::torrent {

void torrent_logic::early_availability(peer::peer_state& p, const wire::message& m) {
  using wire::message_type;
  switch (m.type) {
    case message_type::have:
      if (p.early_haves.size() < peer::peer_state::max_early_haves)
        p.early_haves.push_back(m.piece);
      break;
    case message_type::bitfield:
      // The first is kept (checked against the `info` when it comes); later ones are
      // dropped, like haves past the cap: availability is a hint until then.
      if (p.early_bitfield.empty()) p.early_bitfield.assign(m.payload);
      break;
    case message_type::have_all:
      p.early_have_all = true;
      break;
    default:
      break;
  }
}

bool torrent_logic::replay_availability(peer::peer_state& p) {
  const auto num_pieces = picker_->num_pieces();
  swarm::bitfield bf(num_pieces, p.early_have_all);
  if (!p.early_bitfield.empty() && !p.early_have_all) {
    auto parsed = swarm::bitfield::from_wire(p.early_bitfield, num_pieces);
    if (!parsed) {
      p.close(peer::close_reason::bad_bitfield, parsed.error().message());
      return false;
    }
    bf = std::move(*parsed);
  }
  for (const auto piece : p.early_haves) {
    if (piece >= num_pieces) {
      p.close(peer::close_reason::have_out_of_range);
      return false;
    }
    bf.set(piece);
  }
  const bool said = p.bitfield_received || !p.early_haves.empty();
  p.early_bitfield.clear();
  p.early_bitfield.shrink_to_fit();
  p.early_haves.clear();
  p.early_haves.shrink_to_fit();
  p.early_have_all = false;
  if (!said) return true;
  p.has = std::move(bf);
  p.has_bitfield = true;
  picker_->add_peer(p.has);
  return true;
}

bool torrent_logic::on_availability(peer::peer_state& p, const wire::message& m) {
  using wire::message_type;
  if ((m.type == message_type::have_all || m.type == message_type::have_none) &&
      !on_fast_only(p, m))
    return false;
  if (!picker_) {  // nothing to check them against yet (a magnet): kept for set_info
    if (p.bitfield_received && m.type != message_type::bitfield && m.type != message_type::have) {
      p.close(peer::close_reason::repeated_bitfield);
      return false;
    }
    if (m.type != message_type::have) p.bitfield_received = true;
    // No torrent has more pieces than the cap on any `info` allows: a longer bitfield is
    // wrong whatever the `info` says, and is not kept (50 peers x 1 MiB otherwise).
    if (m.type == message_type::bitfield &&
        m.payload.size() >
            static_cast<std::size_t>((metainfo::parse_limits{}.max_pieces + 7) / 8)) {
      p.close(peer::close_reason::bad_bitfield, "longer than any torrent's");
      return false;
    }
    early_availability(p, m);
    return true;
  }
  const auto num_pieces = picker_->num_pieces();
  if (m.type == message_type::have) {
    if (m.piece >= num_pieces) {
      p.close(peer::close_reason::have_out_of_range);
      return false;
    }
    if (!p.has.test(m.piece)) {
      p.has.set(m.piece);
      picker_->add_have(m.piece);
    }
    p.has_bitfield = true;
    return true;
  }
  // BEP 3 wants the bitfield first and once. have_all / have_none are held to that (but
  // for one late one, below): five bytes that cost a pass over every piece (2,000
  // have_all of a 1,000,000-piece torrent froze the event loop for seconds). A later `bitfield` is
  // not refused: aria2 sends one mid-connection instead of a run of `have`s when that is shorter,
  // so it is merged like haves (pieces are never un-had), in time proportional to its own length.
  // And aria2 has been seen sending `have`s before its first bitfield: those are kept too.
  if (p.bitfield_received) {
    if (m.type != message_type::bitfield) {
      // aria2 starts with have_none and sends have_all once it completes: one later
      // have_all / have_none is taken (have_none says nothing: pieces are never un-had),
      // a second closes.
      if (p.late_have_all_seen) {
        p.close(peer::close_reason::repeated_bitfield);
        return false;
      }
      p.late_have_all_seen = true;
      if (m.type == message_type::have_none) return true;
      for (std::uint32_t i = 0; i < num_pieces; ++i) {
        if (p.has.test(i)) continue;
        p.has.set(i);
        picker_->add_have(i);
      }
      return true;
    }
    auto parsed = swarm::bitfield::from_wire(m.payload, num_pieces);
    if (!parsed) {
      p.close(peer::close_reason::bad_bitfield, parsed.error().message());
      return false;
    }
    const auto theirs = parsed->words();
    const auto known = p.has.words();
    for (std::size_t w = 0; w < theirs.size() && w < known.size(); ++w) {
      std::uint64_t fresh = theirs[w] & ~known[w];
      while (fresh) {
        const auto i = w * 64 + static_cast<std::size_t>(std::countr_zero(fresh));
        fresh &= fresh - 1;
        p.has.set(i);
        picker_->add_have(static_cast<std::uint32_t>(i));
      }
    }
    return true;
  }
  p.bitfield_received = true;
  swarm::bitfield bf;
  if (m.type == message_type::bitfield) {
    auto parsed = swarm::bitfield::from_wire(m.payload, num_pieces);
    if (!parsed) {
      p.close(peer::close_reason::bad_bitfield, parsed.error().message());
      return false;
    }
    bf = std::move(*parsed);
  } else {
    bf = swarm::bitfield(num_pieces, m.type == message_type::have_all);
  }
  if (p.has_bitfield) {  // haves came first: replace their availability
    picker_->remove_peer(p.has);
    for (std::size_t i = 0; i < p.has.size(); ++i) {
      if (p.has.test(i)) bf.set(i);
    }
  }
  p.has = std::move(bf);
  p.has_bitfield = true;
  picker_->add_peer(p.has);
  return true;
}

}  // namespace corrent::torrent
