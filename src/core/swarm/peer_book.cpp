#include "core/swarm/peer_book.hpp"

#include <algorithm>
#include <cstdlib>
#include <iterator>

namespace corrent::swarm {

std::string_view to_string(peer_source s) {
  switch (s) {
    case peer_source::tracker:
      return "tracker";
    case peer_source::incoming:
      return "incoming";
    case peer_source::manual:
      return "manual";
    case peer_source::pex:
      return "pex";
    case peer_source::dht:
      return "dht";
  }
  return "?";
}

namespace {
std::uint8_t bit(peer_source s) {
  return static_cast<std::uint8_t>(1u << static_cast<int>(s));
}
}  // namespace

bool peer_book::add(const net::peer_address& a, peer_source source, std::uint16_t origin) {
  if (!a.is_usable() || is_banned(a) || is_self(a)) return false;
  if (auto it = entries_.find(a); it != entries_.end()) {
    it->second.sources |= bit(source);
    return true;
  }
  const std::uint32_t from = static_cast<std::uint32_t>(source) << 16 | origin;
  if (per_origin_[from] >= config_.max_per_origin && !evict_failing(&from)) return false;
  if (entries_.size() >= config_.max_known && !evict_failing(nullptr)) return false;
  entries_.emplace(a, entry{0, 0, false, false, bit(source), from});
  ++per_origin_[from];
  return true;
}

bool peer_book::evict_failing(const std::uint32_t* origin) {
  // One pass: the worst entry overall, or of the given origin. When any origin may give
  // one up, the largest origin's worst goes first, so a flood evicts its own.
  auto victim = entries_.end();
  std::size_t victim_share = 0;
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    const auto& e = it->second;
    if (e.in_use || e.failures == 0 || (e.sources & bit(peer_source::manual))) continue;
    if (origin && e.origin != *origin) continue;
    const std::size_t share = per_origin_[e.origin];
    if (victim == entries_.end() || share > victim_share ||
        (share == victim_share && e.failures > victim->second.failures)) {
      victim = it;
      victim_share = share;
    }
  }
  if (victim == entries_.end()) return false;
  erase(victim);
  return true;
}

void peer_book::erase(entry_map::iterator it) {
  if (auto c = per_origin_.find(it->second.origin); c != per_origin_.end() && --c->second == 0) {
    per_origin_.erase(c);
  }
  entries_.erase(it);
}

void peer_book::pick(double now, std::size_t max, std::vector<net::peer_address>& out) {
  for (auto& [addr, e] : entries_) {
    if (max == 0) break;
    if (e.in_use || e.next_attempt > now) continue;
    e.in_use = true;
    out.push_back(addr);
    --max;
  }
}

double peer_book::next_due() const {
  double best = -1;
  for (const auto& [addr, e] : entries_) {
    if (e.in_use) continue;
    if (best < 0 || e.next_attempt < best) best = e.next_attempt;
  }
  return best;
}

void peer_book::on_closed(const net::peer_address& a, bool handshook, double now) {
  const auto it = entries_.find(a);
  if (it == entries_.end()) return;
  auto& e = it->second;
  e.in_use = false;
  if (handshook) {
    e.failures = 0;
    e.next_attempt = now + config_.reconnect_s;
    return;
  }
  ++e.failures;
  if (e.failures >= config_.max_failures && !(e.sources & bit(peer_source::manual))) {
    erase(it);
    return;
  }
  e.next_attempt =
      now + config_.backoff_base_s *
                static_cast<double>(1 << std::min(e.failures, config_.max_backoff_shift));
}

void peer_book::release_all() {
  for (auto& [addr, e] : entries_) e.in_use = false;
}

void peer_book::mark_self(const net::peer_address& a) {
  if (self_.size() < 64) self_.insert(a);  // our own addresses: a handful
  if (auto it = entries_.find(a); it != entries_.end()) erase(it);
}

void peer_book::ban(const net::peer_address& a) {
  const auto ip = ip_key::of(a);
  if (!banned_.insert(ip).second) return;
  ban_order_.push_back(ip);
  if (ban_order_.size() > config_.max_ips) {  // bounded: the oldest ban lapses
    banned_.erase(ban_order_.front());
    ban_order_.pop_front();
  }
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (ip_key::of(it->first) == ip) {
      erase(it++);
    } else {
      ++it;
    }
  }
}

peer_book::standing& peer_book::standing_of(const net::peer_address& a) {
  const auto ip = ip_key::of(a);
  if (auto it = standing_.find(ip); it != standing_.end()) return it->second;
  if (standing_.size() >= config_.max_ips) {
    // Bounded: a record that says nothing (trust back to 0, no parole) goes first, else
    // the one with the trust nearest to nothing.
    auto victim = standing_.begin();
    for (auto it = standing_.begin(); it != standing_.end(); ++it) {
      const auto weight = [](const standing& s) {
        return std::abs(s.trust) + (s.parole ? 100 : 0);
      };
      if (weight(it->second) < weight(victim->second)) victim = it;
      if (weight(victim->second) == 0) break;
    }
    standing_.erase(victim);
  }
  return standing_[ip];
}

const peer_book::standing* peer_book::find_standing(const net::peer_address& a) const {
  const auto it = standing_.find(ip_key::of(a));
  return it == standing_.end() ? nullptr : &it->second;
}

void peer_book::mark_plaintext(const net::peer_address& a) {
  if (auto it = entries_.find(a); it != entries_.end()) it->second.plaintext = true;
}

bool peer_book::plaintext(const net::peer_address& a) const {
  const auto it = entries_.find(a);
  return it != entries_.end() && it->second.plaintext;
}

bool peer_book::in_use(const net::peer_address& a) const {
  const auto it = entries_.find(a);
  return it != entries_.end() && it->second.in_use;
}

std::size_t peer_book::count(peer_source source) const {
  const auto bit = static_cast<std::uint8_t>(1u << static_cast<unsigned>(source));
  return static_cast<std::size_t>(
      std::count_if(entries_.begin(), entries_.end(),
                    [&](const auto& kv) { return (kv.second.sources & bit) != 0; }));
}

std::optional<peer_source> peer_book::first_source(const net::peer_address& a) const {
  const auto it = entries_.find(a);
  if (it == entries_.end()) return std::nullopt;
  return static_cast<peer_source>(it->second.origin >> 16);
}

}  // namespace corrent::swarm
