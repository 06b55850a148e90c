// torrent_logic, the clock: once a second the rates, download slots, snubbed peers,
// rechoking, which known peers to dial, which tracker tiers announce, seeding limits.
#include <algorithm>
#include <cmath>

#include "core/torrent/torrent_logic.hpp"

namespace corrent::torrent {

void torrent_logic::stop() {
  stopping_ = true;
  for (auto& t : tiers_) t.in_flight = false;
}

void torrent_logic::on_tick(double now) {
  const double dt = last_tick_ < 0 ? 1.0 : now - last_tick_;
  last_tick_ = now;
  if (dt > 0) {
    down_meter_.tick(dt);
    up_meter_.tick(dt);
    for (auto& [key, p] : peers_) {
      p->downloaded.tick(dt);
      p->uploaded.tick(dt);
    }
  }
  if (stopping_) return;
  for (auto& [key, p] : peers_) {
    if (p->is_closing()) continue;
    // A peer that holds our requests and sends nothing: its blocks go to others.
    if (!p->requests.empty() && now - p->last_block_at > config_.snub_timeout_s) {
      p->close(peer::close_reason::snubbed);
      continue;
    }
    expire_requests(*p, now);
    // A slot holder with no requests for a second has nothing for us (or is stalled):
    // its slot goes to a peer that waits.
    if (p->download_slot && p->requests.empty() && now - p->last_block_at > 1.0)
      p->download_slot = false;
  }
  if (picker_ && !picker_->download_finished()) {
    const bool waiting = peer_waiting(now);
    slots_.tick(down_meter_.rate, busy_peers(), waiting);
    if (waiting) fill_all_requests(now);  // a slot may have grown or come free
  }
  if (rechoke_wanted_ || now - last_rechoke_ >= config_.rechoke_interval_s) rechoke(now);
  for (auto* e : extensions_) e->on_tick(now);
  connect_more(now);
  announce_due(now);
  dht_due(now);
  check_seed_limits(now);
}

bool torrent_logic::dht_allowed() const {
  return config_.dht && !(info_ && info_->is_private);
}

void torrent_logic::dht_due(double now) {
  if (stopping_ || dht_in_flight_ || now < dht_next_ || !dht_allowed()) return;
  dht_in_flight_ = true;
  action a;
  a.kind = action_kind::dht_lookup;
  actions_.push_back(std::move(a));
}

void torrent_logic::on_dht_done(std::size_t peers_found, double now) {
  dht_in_flight_ = false;
  // A seed that finds no one is normal (it is there to be found): no hurry for it. A
  // download whose lookup named only addresses that do not work (dead, or made up) asks
  // again soon.
  const bool working = peers_found > 0 && connected_peers() > 0;
  if (working || seeding_) {
    dht_fruitless_ = 0;
    dht_next_ = now + config_.dht_interval_s;
    return;
  }
  const double backoff = config_.dht_first_retry_s * std::ldexp(1.0, std::min(dht_fruitless_, 16));
  ++dht_fruitless_;
  dht_next_ = now + std::min(backoff, config_.dht_retry_s);
}

void torrent_logic::connect_more(double now) {
  if (stopping_) return;
  const int room = config_.max_peers - static_cast<int>(peers_.size()) - connecting_;
  if (room <= 0) return;
  scratch_addrs_.clear();
  book_.pick(now, static_cast<std::size_t>(room), scratch_addrs_);
  for (const auto& a : scratch_addrs_) {
    ++connecting_;
    action c;
    c.kind = action_kind::connect;
    c.address = a;
    c.plaintext = book_.plaintext(a);
    actions_.push_back(std::move(c));
  }
}

void torrent_logic::announce_due(double now) {
  int connected = 0;
  for (const auto& [key, p] : peers_) connected += p->is_closing() ? 0 : 1;
  // BEP 12: a tier is a fallback of those before it. Tiers start in order while the ones
  // before are failing or still trying (a silent tracker must not hold the next tier back
  // for its whole timeout), at most max_tier_rounds_in_flight at once (a torrent with a
  // thousand dead tiers must not open a thousand announces), and none after a tier whose
  // last round worked.
  std::size_t in_flight = 0;
  for (const auto& t : tiers_) in_flight += t.in_flight ? 1 : 0;
  for (std::size_t i = 0; i < tiers_.size(); ++i) {
    auto& t = tiers_[i];
    if (t.in_flight) {
      if (t.ok) break;
      continue;
    }
    const bool due = !t.announced || t.schedule.due(now - t.last_round_at, connected,
                                                    seeding_ || complete(), config_.low_peer_count);
    if (!due) {
      if (t.ok) break;
      continue;
    }
    if (in_flight >= config_.max_tier_rounds_in_flight) break;
    ++in_flight;
    t.in_flight = true;
    action a;
    a.kind = action_kind::announce;
    a.tier = i;
    a.event = t.next_event;
    actions_.push_back(std::move(a));
    if (t.ok) break;
  }
}

const std::vector<std::string>& torrent_logic::tier_urls(std::size_t tier) const {
  return tiers_.at(tier).urls.urls();
}

const std::string& torrent_logic::tier_last_good(std::size_t tier) const {
  return tiers_.at(tier).last_good;
}

std::vector<tier_report> torrent_logic::tier_reports() const {
  std::vector<tier_report> out;
  out.reserve(tiers_.size());
  for (const auto& t : tiers_) {
    tier_report r;
    r.urls = t.urls.urls();
    r.announced = t.announced;
    r.ok = t.ok;
    r.in_flight = t.in_flight;
    r.last_round_at = t.last_round_at;
    r.last_peers = t.last_peers;
    r.seeders = t.seeders;
    r.leechers = t.leechers;
    r.counts_at = t.counts_at;
    r.next_round_at =
        t.announced ? t.last_round_at + (t.ok ? t.schedule.interval_s : t.schedule.backoff_s()) : 0;
    out.push_back(std::move(r));
  }
  return out;
}

void torrent_logic::on_announced(std::size_t tier, const std::string* url,
                                 const tracker::announce_response* response, double now) {
  if (tier >= tiers_.size()) return;
  auto& t = tiers_[tier];
  t.in_flight = false;
  t.announced = true;
  t.last_round_at = now;
  const bool ok = url && response && !response->failure_reason;
  t.ok = ok;
  t.schedule.on_round(ok);
  if (!ok) return;
  t.next_event = tracker::event::none;
  // Never sooner than the tracker's `min interval`, or default_min_announce_s when it
  // gives none; and never sooner than that even for the regular interval.
  const double min_interval =
      response->min_interval
          ? static_cast<double>(std::clamp<std::int64_t>(*response->min_interval, 5, 3600))
          : config_.default_min_announce_s;
  t.schedule.min_interval_s = min_interval;
  t.schedule.interval_s =
      std::max(min_interval,
               static_cast<double>(std::clamp<std::int64_t>(response->interval, 30, 4 * 3600)));
  t.last_good = *url;
  t.urls.on_success(*url);  // BEP 12: the one that answered goes first
  t.last_peers = static_cast<std::int64_t>(response->peers.size());
  if (response->complete || response->incomplete) {
    t.seeders = response->complete.value_or(-1);
    t.leechers = response->incomplete.value_or(-1);
    t.counts_at = now;
  }
  add_peers(response->peers, swarm::peer_source::tracker, now, static_cast<std::uint16_t>(tier));
}

}  // namespace corrent::torrent
