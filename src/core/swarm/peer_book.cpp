#include "core/swarm/peer_book.hpp"

#include <algorithm>
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
std::uint8_t bit(peer_source s) { return static_cast<std::uint8_t>(1u << static_cast<int>(s)); }
}  // namespace

bool peer_book::add(const net::peer_address& a, peer_source source) {
  if (!a.is_usable() || is_banned(a) || is_self(a)) return false;
  if (auto it = entries_.find(a); it != entries_.end()) {
    it->second.sources |= bit(source);
    return true;
  }
  if (entries_.size() >= config_.max_known) return false;
  entries_.emplace(a, entry{0, 0, false, bit(source)});
  return true;
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
    entries_.erase(it);
    return;
  }
  e.next_attempt =
      now + config_.backoff_base_s * static_cast<double>(1 << std::min(e.failures,
                                                                      config_.max_backoff_shift));
}

void peer_book::release_all() {
  for (auto& [addr, e] : entries_) e.in_use = false;
}

void peer_book::mark_self(const net::peer_address& a) {
  self_.insert(a);
  entries_.erase(a);
}

void peer_book::ban(const net::peer_address& a) {
  const auto ip = ip_key::of(a);
  banned_.insert(ip);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (ip_key::of(it->first) == ip) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

const peer_book::standing* peer_book::find_standing(const net::peer_address& a) const {
  const auto it = standing_.find(ip_key::of(a));
  return it == standing_.end() ? nullptr : &it->second;
}

bool peer_book::in_use(const net::peer_address& a) const {
  const auto it = entries_.find(a);
  return it != entries_.end() && it->second.in_use;
}

}  // namespace corrent::swarm
