// torrent_logic: construction, `info`, peers coming and going, and the messages that
// change a connection's state. What peers have is in availability.cpp, the extension
// protocol and the fast extension in extensions.cpp, the request side in requests.cpp,
// piece outcomes in pieces.cpp, choking and serving in upload.cpp, the clock in
// schedule.cpp.
#include "core/torrent/torrent_logic.hpp"

#include <algorithm>

#include "core/torrent/metadata_extension.hpp"
#include "core/torrent/pex_extension.hpp"

namespace corrent::torrent {

torrent_logic::torrent_logic(torrent_config config, std::vector<std::vector<std::string>> trackers,
                             std::uint64_t seed)
    : config_(config),
      rng_(seed),
      choker_(config.choker),
      slots_(config.slots),
      book_(config.book) {
  // Bounded: a .torrent may list thousands of URLs; past the cap they are never tried.
  std::size_t url_count = 0;
  for (auto& urls : trackers) {
    if (url_count >= config_.max_tracker_urls) break;
    if (urls.size() > config_.max_tracker_urls - url_count) {
      urls.resize(config_.max_tracker_urls - url_count);
    }
    if (urls.empty()) continue;
    url_count += urls.size();
    tiers_.push_back({tracker::tier(std::move(urls), rng_()), {}, {}});
  }
  metadata_ = std::make_unique<metadata_extension>(*this, config_.max_metadata_size);
  pex_ = std::make_unique<pex_extension>(*this);
  extensions_ = {pex_.get(), metadata_.get()};
}

torrent_logic::~torrent_logic() {
  if (!budget_ || !info_) return;
  // Whatever is still charged goes back to the shared budget.
  budget_->close_open(static_cast<std::int64_t>(buffered_count_) * info_->piece_length);
  budget_->done_pending(static_cast<std::int64_t>(pending_count_) * info_->piece_length);
}

void torrent_logic::attach(swarm::piece_budget* budget, swarm::bandwidth_channel* down,
                           swarm::bandwidth_channel* up) {
  budget_ = budget;
  down_ = down;
  up_ = up;
  if (budget_ && info_) budget_->ensure_capacity(3 * info_->piece_length);
}

void torrent_logic::set_info(const metainfo::info& info, const swarm::bitfield& have) {
  info_ = &info;
  const auto n = info.num_pieces();
  picker_.emplace(n, info.piece_length, info.total_length);
  buffers_.assign(static_cast<std::size_t>(n), buffer_state::none);
  blocks_per_piece_ =
      static_cast<std::size_t>((info.piece_length + wire::block_size - 1) / wire::block_size);
  max_open_pieces_ = static_cast<std::uint32_t>(std::max<std::int64_t>(
      4, config_.max_open_piece_bytes / std::max<std::int64_t>(1, info.piece_length)));
  if (budget_) budget_->ensure_capacity(3 * info.piece_length);
  verified_bytes_ = 0;
  for (std::size_t i = 0; i < have.size() && i < static_cast<std::size_t>(n); ++i) {
    if (!have.test(i)) continue;
    picker_->on_piece_verified(static_cast<std::uint32_t>(i));
    verified_bytes_ += info.piece_size(static_cast<std::int64_t>(i));
  }
  update_open_cap();
  // Peers that came before the `info`: what they said of their pieces is checked and
  // counted now; and they hear of the pieces we turned out to have.
  for (auto& [key, p] : peers_) {
    p->has = swarm::bitfield(static_cast<std::size_t>(n));
    p->has_bitfield = false;
    if (p->is_closing() || !replay_availability(*p)) continue;
    if (have_count() > 0) {
      for (std::uint32_t i = 0; i < static_cast<std::uint32_t>(n); ++i) {
        if (picker_->have(i)) p->send_have(i);
      }
    }
    update_interest(*p);
  }
  for (auto* e : extensions_) e->on_info(0);
}

void torrent_logic::set_seeding(bool seeding, double now) {
  if (seeding && !seeding_) seeding_since_ = now;
  seeding_ = seeding;
  if (seeding) {
    for (auto& [key, p] : peers_) update_interest(*p);
    rechoke_wanted_ = true;
    maybe_rechoke(now);
  }
}

void torrent_logic::log(action_kind level, std::string text) {
  action a;
  a.kind = level;
  a.text = std::move(text);
  actions_.push_back(std::move(a));
}

bool torrent_logic::complete() const {
  return picker_ && picker_->download_finished();
}

std::uint32_t torrent_logic::have_count() const {
  return picker_ ? picker_->have_count() : 0;
}

swarm::bitfield torrent_logic::have_bitfield() const {
  return picker_ ? picker_->have_bitfield() : swarm::bitfield();
}

swarm::bitfield torrent_logic::have_or_at_disk() const {
  swarm::bitfield b = have_bitfield();
  if (pending_count_ == 0) return b;
  for (std::size_t i = 0; i < buffers_.size() && i < b.size(); ++i) {
    if (buffers_[i] == buffer_state::pending) b.set(i);
  }
  return b;
}

std::int64_t torrent_logic::left_bytes() const {
  return info_ ? info_->total_length - verified_bytes_ : 0;
}

void torrent_logic::add_totals(std::int64_t downloaded, std::int64_t uploaded) {
  downloaded_bytes_ += downloaded;
  uploaded_bytes_ += uploaded;
}

// ---------------------------------------------------------------- peers

std::array<int, swarm::peer_source_count> torrent_logic::connected_by_source() const {
  std::array<int, swarm::peer_source_count> out{};
  for (const auto& [key, p] : peers_) {
    auto src = swarm::peer_source::incoming;
    if (p->outgoing) src = book_.first_source(p->address).value_or(swarm::peer_source::manual);
    ++out[static_cast<std::size_t>(src)];
  }
  return out;
}

std::optional<peer::close_reason> torrent_logic::may_attach(const net::peer_address& address,
                                                            bool outgoing, double now) {
  if (book_.is_banned(address)) return peer::close_reason::banned;
  if (outgoing) return std::nullopt;  // dials were counted when asked for
  const auto ip = swarm::ip_key::of(address);
  int same_ip = 0, live = 0;
  for (const auto& [key, p] : peers_) {
    if (p->is_closing()) continue;
    ++live;
    if (!p->outgoing && swarm::ip_key::of(p->address) == ip) ++same_ip;
  }
  if (same_ip >= config_.max_incoming_per_ip) return peer::close_reason::too_many_from_ip;
  if (live + connecting_ < config_.max_peers) return std::nullopt;
  if (const auto r = refusals_.find(ip); r != refusals_.end() &&
                                         now - r->second.last < refusal_memory_s &&
                                         r->second.count >= max_refusals_before_no_replace) {
    count_refusal(ip, now);  // knocking again and again: it replaces nobody
    return peer::close_reason::too_many_peers;
  }
  // Full: a peer that has traded nothing either way makes room: first one that does not
  // even want anything (connected idle_replaceable_after_s or more), else one that wants
  // but got nothing in useless_after_s; the longest-connected of them. Otherwise a crowd
  // of idle connections would keep every newcomer out.
  peer::peer_state* useless = nullptr;
  const auto rank = [&](const peer::peer_state& p) {  // 0: not replaceable
    if (p.is_closing() || p.downloaded.total > 0 || p.uploaded.total > 0) return 0;
    const double age = now - p.connected_at;
    if (!p.peer_interested && age >= config_.idle_replaceable_after_s) return 2;
    if (age >= config_.useless_after_s) return 1;
    return 0;
  };
  int best = 0;
  for (auto& [key, p] : peers_) {
    const int r = rank(*p);
    if (r == 0) continue;
    if (r > best || (r == best && p->connected_at < useless->connected_at)) {
      useless = p.get();
      best = r;
    }
  }
  if (!useless) {
    count_refusal(ip, now);
    return peer::close_reason::too_many_peers;
  }
  useless->close(peer::close_reason::too_many_peers, "replaced: traded nothing");
  count_refusal(swarm::ip_key::of(useless->address), now);
  return std::nullopt;
}

void torrent_logic::count_refusal(const swarm::ip_key& ip, double now) {
  if (refusals_.size() >= max_refusal_records && !refusals_.count(ip)) {
    std::erase_if(refusals_,
                  [&](const auto& kv) { return now - kv.second.last >= refusal_memory_s; });
    if (refusals_.size() >= max_refusal_records) refusals_.clear();  // bounded, whatever comes
  }
  auto& r = refusals_[ip];
  if (now - r.last >= refusal_memory_s) r.count = 0;
  ++r.count;
  r.last = now;
}

peer::peer_state& torrent_logic::on_peer_connected(swarm::peer_key key,
                                                   const net::peer_address& address, bool outgoing,
                                                   const wire::peer_id& id,
                                                   const std::array<std::uint8_t, 8>& reserved,
                                                   double now) {
  if (outgoing && connecting_ > 0) --connecting_;
  auto [it, inserted] =
      peers_.try_emplace(key, std::make_unique<peer::peer_state>(key, address, outgoing, &dirty_));
  auto& p = *it->second;
  p.id = id;
  p.reserved = reserved;
  p.connected_at = now;
  p.last_block_at = now;
  constexpr auto ours = wire::our_reserved();
  p.fast_extension = (reserved[7] & ours[7] & 0x04) != 0;
  p.extensions = (reserved[5] & ours[5] & 0x10) != 0;
  if (info_) p.has = swarm::bitfield(static_cast<std::size_t>(info_->num_pieces()));
  if (const auto* s = book_.find_standing(address)) p.parole = s->parole;
  // The extended handshake first (BEP 10 allows it before the bitfield; libtorrent, aria2
  // and Transmission all do this), then what we have.
  if (p.extensions) send_extended_handshake(p);
  if (p.fast_extension) {
    if (picker_ && picker_->download_finished()) {
      p.send_have_all();
    } else if (have_count() == 0) {
      p.send_have_none();
    } else {
      p.send_bitfield(picker_->have_bitfield());
    }
    send_allowed_fast(p);
  } else if (have_count() > 0) {
    p.send_bitfield(picker_->have_bitfield());
  }
  if (config_.dht_port != 0 && (reserved[7] & 0x01) != 0) p.send_port(config_.dht_port);
  return p;
}

std::optional<net::peer_address> torrent_logic::address_of(swarm::peer_key key) const {
  if (const auto it = peers_.find(key); it != peers_.end()) return it->second->address;
  if (const auto it = departed_.find(key); it != departed_.end()) return it->second;
  return std::nullopt;
}

peer::peer_state* torrent_logic::find_peer(swarm::peer_key key) {
  const auto it = peers_.find(key);
  return it == peers_.end() ? nullptr : it->second.get();
}

void torrent_logic::on_peer_closed(swarm::peer_key key, double now) {
  const auto it = peers_.find(key);
  if (it == peers_.end()) return;
  std::unique_ptr<peer::peer_state> owned = std::move(it->second);
  peers_.erase(it);
  auto& p = *owned;
  upload_in_flight_ -= p.upload_in_flight;  // its reads in flight are dropped unsent
  if (picker_) {
    if (p.has_bitfield) picker_->remove_peer(p.has);
    picker_->on_peer_gone(key);
  }
  choker_.remove(key);
  for (auto sp = sent_partial_.lower_bound({key, 0});
       sp != sent_partial_.end() && sp->first.first == key;)
    sp = sent_partial_.erase(sp);
  for (auto* e : extensions_) e->on_peer_closed(p, now);
  if (!p.am_choking) rechoke_wanted_ = true;  // its unchoke slot is free
  if (p.outgoing) book_.on_closed(p.address, true, now);
  if (finished_.size() < 10000 || finished_.count(p.address)) {
    auto& rec = finished_[p.address];
    rec.address = p.address;
    rec.id = p.id;
    rec.downloaded += p.downloaded.total;
    rec.uploaded += p.uploaded.total;
    rec.hash_failures += p.hash_failures;
  }
  closes_.add(p.is_closing() ? p.closing : peer::close_reason::none);
  std::erase(dirty_, key);
  departed_[key] = p.address;
  departed_order_.push_back(key);
  if (departed_order_.size() > max_departed) {
    departed_.erase(departed_order_.front());
    departed_order_.pop_front();
  }
  // Its blocks may go to others now.
  fill_all_requests(now);
  maybe_rechoke(now);
  connect_more(now);
}

void torrent_logic::on_connect_failed(const net::peer_address& address, peer::close_reason why,
                                      double now) {
  if (connecting_ > 0) --connecting_;
  closes_.add(why);
  if (why == peer::close_reason::self_connection) {
    book_.mark_self(address);  // our own address, as a tracker reported it back
  } else {
    book_.on_closed(address, false, now);
  }
  connect_more(now);
}

void torrent_logic::add_peers(const std::vector<net::peer_address>& peers,
                              swarm::peer_source source, double now, std::uint16_t origin) {
  for (const auto& a : peers) book_.add(a, source, origin);
  connect_more(now);
}

void torrent_logic::ban(const net::peer_address& address, const std::string& why) {
  if (book_.is_banned(address)) return;
  log(action_kind::log_warn, "banning peer " + address.to_string() + ": " + why);
  book_.ban(address);
  const auto ip = swarm::ip_key::of(address);
  for (auto& [key, p] : peers_) {
    if (swarm::ip_key::of(p->address) != ip) continue;
    banned_keys_.insert(key);
    p->close(peer::close_reason::banned, why);
  }
  for (const auto& [key, addr] : departed_) {
    if (swarm::ip_key::of(addr) == ip) banned_keys_.insert(key);
  }
}

// ---------------------------------------------------------------- messages

bool torrent_logic::on_message(swarm::peer_key key, const wire::message& m, double now) {
  using wire::message_type;
  auto& p = peer(key);
  if (p.is_closing()) return false;
  switch (m.type) {
    case message_type::keep_alive:
    case message_type::unknown:
      return true;
    case message_type::port:
      // BEP 5: the peer's DHT node. Only once per connection: a peer cannot make us ping
      // a stream of addresses.
      if (config_.dht_port != 0 && m.port != 0 && !p.dht_port_seen) {
        p.dht_port_seen = true;
        action a;
        a.kind = action_kind::dht_node;
        a.address = p.address;
        a.address.port = m.port;
        actions_.push_back(std::move(a));
      }
      return true;
    case message_type::extended:
      return on_extended(p, m, now);
    case message_type::suggest:  // BEP 6: a hint we may ignore
      return on_fast_only(p, m);
    case message_type::allowed_fast:
      if (!on_fast_only(p, m)) return false;
      if (picker_ && m.piece >= picker_->num_pieces()) return true;  // BEP 6: ignored
      if (p.allowed_fast_in.size() < peer::peer_state::max_allowed_fast && !p.allows_us(m.piece))
        p.allowed_fast_in.push_back(m.piece);
      return true;
    case message_type::choke: {
      scratch_blocks_.clear();
      p.on_choke(scratch_blocks_);
      // BEP 3: the requests are void. With the fast extension they stand until rejected
      // (or they time out: expire_requests).
      if (picker_ && !p.fast_extension) picker_->on_peer_gone(key);
      if (!scratch_blocks_.empty()) fill_all_requests(now, &p);  // others may take them
      return true;
    }
    case message_type::unchoke:
      p.on_unchoke();
      return true;
    case message_type::interested:
      if (!p.peer_interested) rechoke_wanted_ = true;  // a slot may be free: rechoke now
      p.on_interested();
      maybe_rechoke(now);
      return true;
    case message_type::not_interested:
      p.on_not_interested();
      if (!p.am_choking) {
        rechoke_wanted_ = true;
        maybe_rechoke(now);
      }
      return true;
    case message_type::have:
    case message_type::bitfield:
    case message_type::have_all:
    case message_type::have_none:
      return on_availability(p, m);
    case message_type::request:
      return on_request(p, m);
    case message_type::cancel:
      p.on_cancel({m.piece, m.begin, m.length});
      return true;
    case message_type::reject: {
      // BEP 6: only with the fast extension. Without it a reject answered every request
      // at once, and the peer was asked again and again (3,585 requests in 5 s).
      if (!p.fast_extension) {
        p.close(peer::close_reason::fast_not_negotiated, "reject without the fast extension");
        return false;
      }
      const swarm::block_ref b{m.piece, m.begin, m.length};
      if (!p.on_reject(b) || !picker_) return true;
      picker_->on_request_dropped(key, b);
      if (!p.peer_choking && b.piece < p.has.size()) {
        if (p.refused.size() != p.has.size() || now >= p.refused_until) {
          p.refused = swarm::bitfield(p.has.size());
          p.refused_until = now + refused_for_s;
        }
        p.refused.set(b.piece);
      }
      return true;
    }
    case message_type::piece:
      return on_block(p, m, now);
  }
  return true;
}

bool torrent_logic::requests_outstanding() const {
  return std::any_of(peers_.begin(), peers_.end(),
                     [](const auto& kv) { return !kv.second->requests.empty(); });
}

bool torrent_logic::peers_may_want_pieces() const {
  return std::any_of(peers_.begin(), peers_.end(), [](const auto& kv) {
    const auto& p = *kv.second;
    return p.peer_interested || (!p.upload_only && (!p.has_bitfield || !p.has.all()));
  });
}

}  // namespace corrent::torrent
