#include "core/torrent/metadata_extension.hpp"

#include <algorithm>

#include "core/crypto/sha1.hpp"
#include "core/torrent/torrent_logic.hpp"
#include "core/wire/extension/ut_metadata.hpp"

namespace corrent::torrent {

using wire::ext::metadata_piece_size;

metadata_extension::metadata_extension(torrent_logic& t, std::int64_t max_size)
    : t_(t), max_size_(max_size) {}

void metadata_extension::fill_handshake(wire::ext::handshake& ours) const {
  if (t_.info_) ours.metadata_size = static_cast<std::int64_t>(t_.info_->info_bytes.size());
}

std::int64_t metadata_extension::piece_length(std::size_t piece) const {
  const auto begin = static_cast<std::int64_t>(piece * metadata_piece_size);
  return std::min<std::int64_t>(metadata_piece_size, size_ - begin);
}

std::size_t metadata_extension::pieces_received() const {
  return static_cast<std::size_t>(
      std::count_if(pieces_.begin(), pieces_.end(), [](const slot& s) { return s.from != 0; }));
}

void metadata_extension::on_handshake(peer::peer_state& p, const wire::ext::handshake& theirs,
                                      double now) {
  if (t_.info_ || got_) return;
  if (p.ext_id(name()) == 0 || !theirs.metadata_size) return;
  const std::int64_t size = *theirs.metadata_size;
  if (size <= 0 || size > max_size_) return;  // not worth asking (or a lie about the cap)
  if (fetchers_.count(p.key)) return;         // one claim per connection
  fetchers_[p.key].size = size;
  request_more(now);
}

bool metadata_extension::on_message(peer::peer_state& p, std::string_view payload, double now) {
  auto m = wire::ext::decode_metadata(payload);
  if (!m && m.error() == wire::ext::errc::unknown_msg_type) return true;  // BEP 9: ignored
  if (!m) {
    p.close(peer::close_reason::bad_extension, "ut_metadata: " + m.error().message());
    return false;
  }
  switch (m->type) {
    case wire::ext::metadata_msg_type::request:
      return on_request(p, m->piece, now);
    case wire::ext::metadata_msg_type::data:
      return on_data(p, m->piece, m->total_size, m->data, now);
    case wire::ext::metadata_msg_type::reject:
      on_reject(p, m->piece);
      request_more(now);
      return true;
  }
  return true;
}

// ---------------------------------------------------------------- serving

bool metadata_extension::on_request(peer::peer_state& p, std::uint32_t piece, double now) {
  const std::uint8_t theirs = p.ext_id(name());
  if (theirs == 0) return true;  // it never said it speaks ut_metadata: nowhere to answer
  const auto* info = t_.info_;
  const std::size_t total = info ? info->info_bytes.size() : 0;
  const std::size_t pieces = (total + metadata_piece_size - 1) / metadata_piece_size;
  auto& s = served_[p.key];
  if (now - s.window_start >= serve_window_s) {
    s.window_start = now;
    s.count = 0;
  }
  if (!info || piece >= pieces || s.count >= 2 * pieces) {
    p.send_extended(theirs, wire::ext::encode_metadata_reject(piece));
    return true;
  }
  ++s.count;
  const std::size_t begin = piece * metadata_piece_size;
  const std::size_t len = std::min(metadata_piece_size, total - begin);
  p.send_extended(theirs, wire::ext::encode_metadata_data(
                              piece, static_cast<std::int64_t>(total),
                              std::string_view(info->info_bytes).substr(begin, len)));
  return true;
}

// ---------------------------------------------------------------- fetching

void metadata_extension::start_attempt(std::int64_t size) {
  size_ = size;
  buf_.assign(static_cast<std::size_t>(size), '\0');
  pieces_.assign(static_cast<std::size_t>((size + metadata_piece_size - 1) / metadata_piece_size),
                 slot{});
  source_ = 0;
  for (auto& [key, f] : fetchers_) f.outstanding = 0;
}

void metadata_extension::request_more(double now) {
  if (t_.info_ || got_ || t_.stopping_) return;
  // The attempt's size: keep it while someone live claims it; else the size most claim.
  const auto claimed = [&](std::int64_t size) {
    return std::any_of(fetchers_.begin(), fetchers_.end(),
                       [&](const auto& kv) { return !kv.second.done && kv.second.size == size; });
  };
  if (size_ == 0 || !claimed(size_)) {
    std::map<std::int64_t, int> votes;
    for (const auto& [key, f] : fetchers_) {
      if (!f.done) ++votes[f.size];
    }
    if (votes.empty()) {
      size_ = 0;
      pieces_.clear();
      buf_.clear();
      return;
    }
    const auto best =
        std::max_element(votes.begin(), votes.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    start_attempt(best->first);
  }
  if (one_source_) {
    // One peer per attempt: the first live claimant not yet tried alone (or, when all
    // were, any: each failure of its own bans it, so this ends).
    if (source_ == 0 || !fetchers_.count(source_) || fetchers_[source_].done) {
      source_ = 0;
      swarm::peer_key fallback = 0;
      for (const auto& [key, f] : fetchers_) {
        if (f.done || f.size != size_) continue;
        if (!tried_alone_.count(key)) {
          source_ = key;
          break;
        }
        if (fallback == 0) fallback = key;
      }
      if (source_ == 0) source_ = fallback;
      if (source_ == 0) return;
      // A new source starts over: nothing of an earlier one is kept.
      for (auto& s : pieces_) s = slot{};
      tried_alone_.insert(source_);
    }
  }
  // Unasked pieces go to claimants with room, in turn.
  std::size_t next = 0;
  for (auto& [key, f] : fetchers_) {
    if (f.done || f.size != size_ || (one_source_ && key != source_)) continue;
    auto* p = t_.find_peer(key);
    if (!p || p->is_closing()) continue;
    const std::uint8_t theirs = p->ext_id(name());
    if (theirs == 0) continue;
    while (f.outstanding < requests_per_peer) {
      while (next < pieces_.size() && (pieces_[next].asked != 0 || pieces_[next].from != 0)) ++next;
      if (next >= pieces_.size()) return;
      pieces_[next].asked = key;
      pieces_[next].asked_at = now;
      ++f.outstanding;
      p->send_extended(theirs,
                       wire::ext::encode_metadata_request(static_cast<std::uint32_t>(next)));
    }
  }
}

void metadata_extension::forget(swarm::peer_key key) {
  const auto it = fetchers_.find(key);
  if (it == fetchers_.end()) return;
  it->second.done = true;
  it->second.outstanding = 0;
  for (auto& s : pieces_) {
    if (s.asked == key && s.from == 0) s.asked = 0;
  }
}

void metadata_extension::on_reject(peer::peer_state& p, std::uint32_t piece) {
  (void)piece;
  forget(p.key);  // it does not have the metadata (or will not share it): not asked again
}

bool metadata_extension::on_data(peer::peer_state& p, std::uint32_t piece, std::int64_t total,
                                 std::string_view data, double now) {
  if (t_.info_ || got_) return true;  // late copies: harmless
  const auto it = fetchers_.find(p.key);
  if (it == fetchers_.end() || piece >= pieces_.size() || pieces_[piece].asked != p.key ||
      pieces_[piece].from != 0) {
    return true;  // not asked of it (or no longer): ignored, like an unrequested block
  }
  if (total != size_ || static_cast<std::int64_t>(data.size()) != piece_length(piece)) {
    forget(p.key);
    const std::string why =
        "ut_metadata piece " + std::to_string(piece) + " of " + std::to_string(data.size()) +
        " bytes, total_size " + std::to_string(total) + " (expected " +
        std::to_string(piece_length(piece)) + " of " + std::to_string(size_) + ")";
    t_.ban(p.address, "sent metadata of the wrong size: " + why);
    request_more(now);
    return false;
  }
  auto& s = pieces_[piece];
  s.from = p.key;
  --it->second.outstanding;
  std::copy(data.begin(), data.end(),
            buf_.begin() + static_cast<std::ptrdiff_t>(piece * metadata_piece_size));
  if (std::all_of(pieces_.begin(), pieces_.end(), [](const slot& x) { return x.from != 0; })) {
    complete(now);
  } else {
    request_more(now);
  }
  return !p.is_closing();
}

void metadata_extension::complete(double now) {
  if (crypto::sha1(buf_) == t_.config_.info_hash) {
    got_ = true;
    t_.log(action_kind::log_info, "metadata received (" + std::to_string(buf_.size()) + " bytes)");
    action a;
    a.kind = action_kind::metadata_received;
    a.data = buf_;
    t_.actions_.push_back(std::move(a));
    return;
  }
  std::set<swarm::peer_key> senders;
  for (const auto& s : pieces_) senders.insert(s.from);
  if (senders.size() == 1) {
    const auto key = *senders.begin();
    forget(key);
    if (auto* p = t_.find_peer(key)) {
      t_.ban(p->address, "sent metadata that does not hash to the info-hash");
    } else if (auto addr = t_.address_of(key)) {
      t_.ban(*addr, "sent metadata that does not hash to the info-hash");
    }
  } else {
    t_.log(action_kind::log_warn, "metadata from " + std::to_string(senders.size()) +
                                      " peers does not hash to the info-hash: asking one peer at "
                                      "a time");
    one_source_ = true;
  }
  source_ = 0;
  for (auto& s : pieces_) s = slot{};
  for (auto& [key, f] : fetchers_) f.outstanding = 0;
  request_more(now);
}

void metadata_extension::on_peer_closed(peer::peer_state& p, double now) {
  served_.erase(p.key);
  if (!fetchers_.count(p.key)) return;
  // What it sent stays (it is checked by the hash with the rest); what it owes goes to others.
  for (auto& s : pieces_) {
    if (s.asked == p.key && s.from == 0) s.asked = 0;
  }
  fetchers_.erase(p.key);
  if (source_ == p.key) {
    source_ = 0;
  }
  request_more(now);
}

void metadata_extension::on_tick(double now) {
  if (t_.info_ || got_) return;
  bool freed = false;
  for (auto& s : pieces_) {
    if (s.asked == 0 || s.from != 0 || now - s.asked_at < request_timeout_s) continue;
    const auto key = s.asked;
    forget(key);  // too slow: its requests go to others, and it is not asked again
    freed = true;
  }
  if (freed || size_ == 0) request_more(now);
}

void metadata_extension::on_info(double) {
  fetchers_.clear();
  buf_.clear();
  buf_.shrink_to_fit();
  pieces_.clear();
  size_ = 0;
}

}  // namespace corrent::torrent
