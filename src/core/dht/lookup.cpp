#include "core/dht/lookup.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "core/dht/node_id_rules.hpp"

namespace corrent::dht {

lookup::lookup(const node_id& target, lookup_kind kind, const std::vector<node_contact>& start,
               lookup_config config)
    : target_(target), kind_(kind), config_(config) {
  config_.k = std::max<std::size_t>(config_.k, 1);
  config_.alpha = std::max<std::size_t>(config_.alpha, 1);
  config_.max_candidates = std::max(config_.max_candidates, config_.k);
  for (const node_contact& c : start) add(c, true);
}

bool lookup::before(const candidate& a, const candidate& b) {
  return std::tie(a.id_known, a.distance) < std::tie(b.id_known, b.distance);
}

void lookup::add_bootstrap(const net::peer_address& address) {
  if (!started_) add({node_id{}, address}, false);
}

void lookup::add(const node_contact& c, bool id_known, const net::peer_address* referrer) {
  if (!c.address.is_usable()) return;
  const bool per_ip = config_.one_node_per_ip && !bep42_exempt(c.address);
  for (const candidate& x : candidates_) {
    if (x.node.address == c.address) return;
    if (id_known && x.id_known && x.node.id == c.id) return;
    if (per_ip && x.node.address.ip == c.address.ip && x.node.address.is_v6 == c.address.is_v6)
      return;
  }
  candidate x;
  x.node = c;
  x.id_known = id_known;
  if (id_known) x.distance = distance(target_, c.id);
  if (referrer) {
    x.has_referrer = true;
    x.referrer = *referrer;
  }
  place(std::move(x));
}

void lookup::place(candidate c) {
  if (candidates_.size() >= config_.max_candidates) {
    // The farthest candidate not in flight makes room, if the newcomer is closer.
    auto victim = candidates_.end();
    for (auto it = candidates_.end(); it != candidates_.begin();) {
      --it;
      if (it->state != status::in_flight) {
        victim = it;
        break;
      }
    }
    if (victim == candidates_.end() || !before(c, *victim)) return;
    candidates_.erase(victim);
  }
  const auto at = std::upper_bound(candidates_.begin(), candidates_.end(), c, before);
  candidates_.insert(at, std::move(c));
}

void lookup::start(double now) {
  if (started_) return;
  started_ = true;
  started_at_ = now;
  update_done(now);
}

std::vector<node_contact> lookup::next_queries(double now) {
  std::vector<node_contact> out;
  if (!started_) return out;
  tick(now);
  if (done_) return out;
  std::size_t active = 0;  // in flight and not slow
  for (const candidate& c : candidates_) active += c.state == status::in_flight && !slow(c, now);
  std::vector<std::size_t> order = window(now, true);
  for (const std::size_t i : window(now, false)) order.push_back(i);
  for (const std::size_t i : order) {
    if (active >= config_.alpha || queries_sent_ >= config_.max_queries) break;
    candidate& c = candidates_[i];
    if (c.state != status::fresh) continue;
    ++active;
    c.state = status::in_flight;
    c.sent_at = now;
    ++in_flight_;
    ++queries_sent_;
    out.push_back(c.node);
  }
  update_done(now);
  return out;
}

bool lookup::on_reply(const net::peer_address& from, const node_id& id,
                      std::span<const node_contact> nodes, std::span<const net::peer_address> peers,
                      std::string_view token, double now) {
  if (!started_ || done_) return false;
  const auto it = std::find_if(candidates_.begin(), candidates_.end(), [&](const candidate& c) {
    return c.state == status::in_flight && c.node.address == from;
  });
  if (it == candidates_.end()) return false;
  if (it->id_known && it->node.id != id) {
    fail(*it);  // not the node we were told of
    update_done(now);
    return false;
  }
  it->state = status::replied;
  --in_flight_;
  if (kind_ == lookup_kind::get_peers && token.size() <= config_.max_token_size)
    it->token.assign(token);
  if (!it->id_known) {
    // A bootstrap node: now we know where it belongs (unless another entry has its id).
    candidate c = std::move(*it);
    candidates_.erase(it);
    const bool known = std::any_of(candidates_.begin(), candidates_.end(),
                                   [&](const candidate& x) { return x.node.id == id; });
    if (!known) {
      c.node.id = id;
      c.id_known = true;
      c.distance = distance(target_, id);
      place(std::move(c));
    }
  }
  for (const net::peer_address& p : peers) {
    if (peers_.size() >= config_.max_peers) break;
    if (p.is_usable() && peer_set_.insert(p).second) peers_.push_back(p);
  }
  const net::peer_address referrer = from;
  for (std::size_t i = 0; i < nodes.size() && i < config_.max_nodes_per_reply; ++i)
    add(nodes[i], true, &referrer);
  update_done(now);
  return true;
}

void lookup::on_timeout(const net::peer_address& from, double now) {
  if (!started_ || done_) return;
  for (candidate& c : candidates_) {
    if (c.state == status::in_flight && c.node.address == from) {
      fail(c);
      break;
    }
  }
  update_done(now);
}

void lookup::tick(double now) {
  if (!started_ || done_) return;
  for (candidate& c : candidates_) {
    if (c.state == status::in_flight && now - c.sent_at >= config_.query_timeout_s) fail(c);
  }
  update_done(now);
}

std::vector<net::peer_address> lookup::take_failed() {
  std::vector<net::peer_address> out;
  out.swap(failed_);
  return out;
}

void lookup::fail(candidate& c) {
  if (c.state == status::in_flight) --in_flight_;
  c.state = status::failed;
  failed_.push_back(c.node.address);
}

void lookup::update_done(double now) {
  if (done_) return;
  if (now - started_at_ >= config_.total_timeout_s) {
    done_ = true;
    return;
  }
  if (in_flight_ > 0) return;
  if (queries_sent_ >= config_.max_queries) {
    done_ = true;
    return;
  }
  // Nothing in flight: done unless a candidate of the window is unasked.
  for (const std::size_t i : window(now, false)) {
    if (candidates_[i].state == status::fresh) return;
  }
  done_ = true;
}

std::vector<std::size_t> lookup::window(double now, bool capped) const {
  std::vector<std::size_t> out;
  std::vector<std::size_t> skipped;
  std::map<net::peer_address, std::size_t> per_referrer;
  for (std::size_t i = 0; i < candidates_.size() && out.size() < config_.k; ++i) {
    const candidate& c = candidates_[i];
    if (c.state == status::failed || slow(c, now)) continue;
    if (capped && c.has_referrer && per_referrer[c.referrer]++ >= config_.max_per_referrer) {
      skipped.push_back(i);
      continue;
    }
    out.push_back(i);
  }
  for (std::size_t i = 0; i < skipped.size() && out.size() < config_.k; ++i)
    out.push_back(skipped[i]);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<node_contact> lookup::closest_replied() const {
  std::vector<node_contact> out;
  for (const candidate& c : candidates_) {
    if (out.size() >= config_.k) break;
    if (c.state == status::replied && c.id_known) out.push_back(c.node);
  }
  return out;
}

std::vector<lookup::token_holder> lookup::closest_with_tokens() const {
  std::vector<token_holder> out;
  for (const candidate& c : candidates_) {
    if (out.size() >= config_.k) break;
    if (c.state == status::replied && c.id_known && !c.token.empty())
      out.push_back({c.node, c.token});
  }
  return out;
}

}  // namespace corrent::dht
