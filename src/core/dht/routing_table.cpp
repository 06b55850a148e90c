#include "core/dht/routing_table.hpp"

#include <random>

#include <algorithm>
#include <tuple>

#include "core/bencode/decode.hpp"
#include "core/bencode/encode.hpp"
#include "core/dht/node_id_rules.hpp"

namespace corrent::dht {
namespace {

// Which of two entries is the better one to keep: one that answered us, then one with
// fewer failures, then the one heard from last.
bool better(const node_entry& a, const node_entry& b) {
  return std::make_tuple(a.replied, -a.fail_count, a.last_seen) >
         std::make_tuple(b.replied, -b.fail_count, b.last_seen);
}

bool bit(const node_id& id, std::size_t i) {
  return (id.bytes[i / 8] >> (7 - i % 8)) & 1;
}
void set_bit(node_id& id, std::size_t i, bool on) {
  const auto mask = static_cast<std::uint8_t>(0x80u >> (i % 8));
  id.bytes[i / 8] = on ? (id.bytes[i / 8] | mask) : (id.bytes[i / 8] & ~mask);
}

constexpr std::size_t v4_node_size = 26;  // id, IPv4, port
constexpr std::size_t v6_node_size = 38;  // id, IPv6, port
constexpr std::size_t max_saved_nodes = 160 * 8;

void append_node(std::string& out, const node_entry& e) {
  out.append(e.id.view());
  out.append(reinterpret_cast<const char*>(e.address.ip.data()), e.address.is_v6 ? 16 : 4);
  out += static_cast<char>(e.address.port >> 8);
  out += static_cast<char>(e.address.port & 0xff);
}

// Appends the nodes of one compact string; false when its length is not a multiple of
// the entry size.
bool read_nodes(std::string_view s, std::size_t entry, const node_id& self,
                std::vector<node_contact>& out) {
  if (s.size() % entry != 0) return false;
  for (std::size_t at = 0; at < s.size() && out.size() < max_saved_nodes; at += entry) {
    const std::string_view one = s.substr(at, entry);
    const auto port = static_cast<std::uint16_t>(static_cast<std::uint8_t>(one[entry - 2]) << 8 |
                                                 static_cast<std::uint8_t>(one[entry - 1]));
    node_contact c{node_id::from_bytes(one.substr(0, 20)),
                   net::peer_address::from_bytes(one.substr(20, entry - 22), port)};
    if (c.id == self || !c.address.is_usable()) continue;
    out.push_back(c);
  }
  return true;
}

}  // namespace

routing_table::routing_table(const node_id& self, routing_table_config config)
    : self_(self), config_(config) {
  config_.bucket_size = std::max<std::size_t>(config_.bucket_size, 1);
  config_.max_buckets = std::clamp<std::size_t>(config_.max_buckets, 1, 160);
  buckets_.emplace_back();
}

std::size_t routing_table::bucket_index(const node_id& id) const {
  return std::min<std::size_t>(static_cast<std::size_t>(common_prefix_bits(self_, id)),
                               buckets_.size() - 1);
}

std::optional<routing_table::location> routing_table::locate(const node_id& id) const {
  const std::size_t b = bucket_index(id);
  const bucket& bk = buckets_[b];
  for (std::size_t i = 0; i < bk.nodes.size(); ++i)
    if (bk.nodes[i].id == id) return location{b, false, i};
  for (std::size_t i = 0; i < bk.replacements.size(); ++i)
    if (bk.replacements[i].id == id) return location{b, true, i};
  return std::nullopt;
}

node_entry& routing_table::at(const location& l) {
  bucket& bk = buckets_[l.bucket];
  return l.replacement ? bk.replacements[l.index] : bk.nodes[l.index];
}

node_state routing_table::state(const node_entry& e, double now) const {
  if (e.fail_count >= config_.bad_after_failures) return node_state::bad;
  if (e.replied && e.fail_count == 0 && now - e.last_seen < config_.good_for_s)
    return node_state::good;
  return node_state::questionable;
}

bool routing_table::on_reply(const node_id& id, const net::peer_address& from, double now) {
  return heard(id, from, now, true);
}

bool routing_table::on_query_from(const node_id& id, const net::peer_address& from, double now) {
  return heard(id, from, now, false);
}

bool routing_table::add_known(const node_id& id, const net::peer_address& address) {
  if (id == self_ || !address.is_usable() || endpoints_.count(address) || locate(id) ||
      ip_taken(address))
    return false;
  node_entry e;
  e.id = id;
  e.address = address;
  e.replied = true;
  return insert(e, node_entry::never);
}

bool routing_table::heard(const node_id& id, const net::peer_address& from, double now,
                          bool reply) {
  if (id == self_ || !from.is_usable()) return false;
  if (auto ep = endpoints_.find(from); ep != endpoints_.end() && ep->second != id) {
    // The address answers under a new id: the node restarted. A query proves nothing
    // about who sent it.
    if (!reply) return false;
    erase(*locate(ep->second));
  }
  if (const auto l = locate(id)) {
    node_entry& e = at(*l);
    if (e.address != from) return false;  // someone else claims a known id
    e.last_seen = now;
    if (!reply) return true;
    e.replied = true;
    e.fail_count = 0;
    if (!l->replacement) {
      buckets_[l->bucket].last_active = now;
      return true;
    }
    // A replacement that answered may take the place of a worse node: put it in again.
    const node_entry copy = e;
    erase(*l);
    return insert(copy, now);
  }
  if (ip_taken(from)) return false;
  node_entry e;
  e.id = id;
  e.address = from;
  e.last_seen = now;
  e.replied = reply;
  return insert(e, now);
}

bool routing_table::ip_taken(const net::peer_address& a) const {
  if (!config_.one_node_per_ip || bep42_exempt(a)) return false;
  net::peer_address first = a;
  first.port = 0;
  const auto it = endpoints_.lower_bound(first);
  return it != endpoints_.end() && it->first.ip == a.ip && it->first.is_v6 == a.is_v6;
}

bool routing_table::insert(const node_entry& e, double now) {
  std::size_t b = bucket_index(e.id);
  while (buckets_[b].nodes.size() >= config_.bucket_size && b + 1 == buckets_.size() &&
         buckets_.size() < config_.max_buckets) {
    split();
    b = bucket_index(e.id);
  }
  bucket& bk = buckets_[b];
  if (bk.nodes.size() < config_.bucket_size) {
    bk.nodes.push_back(e);
    endpoints_.emplace(e.address, e.id);
    bk.last_active = std::max(bk.last_active, now);
    return true;
  }
  // Full: a bad node gives way to anyone (the one that failed most first), a node that
  // never answered to one that did (the one heard from least recently first).
  auto victim = std::max_element(
      bk.nodes.begin(), bk.nodes.end(),
      [](const node_entry& x, const node_entry& y) { return x.fail_count < y.fail_count; });
  if (state(*victim, now) != node_state::bad) {
    victim = bk.nodes.end();
    for (auto it = bk.nodes.begin(); e.replied && it != bk.nodes.end(); ++it) {
      if (!it->replied && (victim == bk.nodes.end() || it->last_seen < victim->last_seen))
        victim = it;
    }
  }
  // BEP 42: a node whose id fits its public address pushes out one whose id does not.
  const auto verified = [](const node_entry& x) {
    return bep42_exempt(x.address) || bep42_valid(x.id, x.address);
  };
  if (victim == bk.nodes.end() && config_.prefer_verified_ids && verified(e)) {
    for (auto it = bk.nodes.begin(); it != bk.nodes.end(); ++it) {
      if (!verified(*it) && (victim == bk.nodes.end() || better(*victim, *it))) victim = it;
    }
  }
  if (victim != bk.nodes.end()) {
    endpoints_.erase(victim->address);
    *victim = e;
    endpoints_.emplace(e.address, e.id);
    bk.last_active = std::max(bk.last_active, now);
    return true;
  }
  if (config_.max_replacements == 0) return false;
  if (bk.replacements.size() < config_.max_replacements) {
    bk.replacements.push_back(e);
    endpoints_.emplace(e.address, e.id);
    return true;
  }
  // The cache is full: the newcomer takes the worst one's place, unless it never
  // answered us and that one did (a flood of queries cannot push out tried nodes).
  const auto worst = std::min_element(bk.replacements.begin(), bk.replacements.end(), better);
  if (!e.replied && worst->replied) return false;
  endpoints_.erase(worst->address);
  *worst = e;
  endpoints_.emplace(e.address, e.id);
  return true;
}

void routing_table::split() {
  const std::size_t last = buckets_.size() - 1;
  buckets_.emplace_back();
  bucket& old = buckets_[last];
  bucket& fresh = buckets_[last + 1];
  fresh.last_active = old.last_active;
  const auto moves = [&](const node_entry& e) {
    return common_prefix_bits(self_, e.id) > static_cast<int>(last);
  };
  for (auto list : {&bucket::nodes, &bucket::replacements}) {
    auto& from = old.*list;
    const auto split_at = std::stable_partition(from.begin(), from.end(),
                                                [&](const node_entry& e) { return !moves(e); });
    (fresh.*list).assign(split_at, from.end());
    from.erase(split_at, from.end());
  }
  fill(last);
  fill(last + 1);
}

void routing_table::fill(std::size_t b) {
  bucket& bk = buckets_[b];
  while (bk.nodes.size() < config_.bucket_size && !bk.replacements.empty()) {
    const auto best =
        std::max_element(bk.replacements.begin(), bk.replacements.end(),
                         [](const node_entry& x, const node_entry& y) { return better(y, x); });
    bk.nodes.push_back(*best);
    bk.replacements.erase(best);
  }
}

void routing_table::erase(const location& l) {
  bucket& bk = buckets_[l.bucket];
  auto& list = l.replacement ? bk.replacements : bk.nodes;
  endpoints_.erase(list[l.index].address);
  list.erase(list.begin() + static_cast<std::ptrdiff_t>(l.index));
  if (!l.replacement) fill(l.bucket);
}

void routing_table::on_timeout(const net::peer_address& address, double now) {
  (void)now;
  const auto ep = endpoints_.find(address);
  if (ep == endpoints_.end()) return;
  const location l = *locate(ep->second);
  node_entry& e = at(l);
  ++e.fail_count;
  const bool bad = e.fail_count >= config_.bad_after_failures;
  if (l.replacement) {
    if (!e.replied || bad) erase(l);
    return;
  }
  if (!e.replied || e.fail_count >= config_.forget_after_failures ||
      (bad && !buckets_[l.bucket].replacements.empty()))
    erase(l);
}

void routing_table::on_query_sent(const net::peer_address& address, double now) {
  const auto ep = endpoints_.find(address);
  if (ep == endpoints_.end()) return;
  at(*locate(ep->second)).last_query_sent = now;
}

std::vector<node_contact> routing_table::closest(const node_id& target, std::size_t n,
                                                 double now) const {
  struct ranked {
    bool questionable;
    node_id distance;
    const node_entry* e;
  };
  std::vector<ranked> all;
  for (const bucket& bk : buckets_) {
    for (const node_entry& e : bk.nodes) {
      const node_state s = state(e, now);
      if (s != node_state::bad)
        all.push_back({s == node_state::questionable, distance(target, e.id), &e});
    }
  }
  const auto order = [](const ranked& a, const ranked& b) {
    return std::tie(a.questionable, a.distance) < std::tie(b.questionable, b.distance);
  };
  const std::size_t count = std::min(n, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(count), all.end(),
                    order);
  std::vector<node_contact> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.push_back({all[i].e->id, all[i].e->address});
  return out;
}

std::vector<node_contact> routing_table::ping_targets(double now, std::size_t max) {
  std::vector<node_entry*> due;
  for (bucket& bk : buckets_) {
    for (node_entry& e : bk.nodes) {
      if (state(e, now) != node_state::good && now - e.last_query_sent >= config_.ping_interval_s)
        due.push_back(&e);
    }
  }
  const std::size_t count = std::min(max, due.size());
  std::partial_sort(
      due.begin(), due.begin() + static_cast<std::ptrdiff_t>(count), due.end(),
      [](const node_entry* a, const node_entry* b) { return a->last_seen < b->last_seen; });
  std::vector<node_contact> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    due[i]->last_query_sent = now;
    out.push_back({due[i]->id, due[i]->address});
  }
  return out;
}

std::vector<node_id> routing_table::refresh_targets(double now, std::uint64_t seed) {
  std::vector<node_id> out;
  std::mt19937_64 rng(seed);
  for (std::size_t b = 0; b < buckets_.size(); ++b) {
    bucket& bk = buckets_[b];
    if (now - bk.last_active < config_.stale_after_s) continue;
    node_id target;
    for (std::size_t i = 0; i < target.bytes.size(); i += 8) {
      std::uint64_t r = rng();
      for (std::size_t j = i; j < std::min<std::size_t>(i + 8, target.bytes.size()); ++j) {
        target.bytes[j] = static_cast<std::uint8_t>(r);
        r >>= 8;
      }
    }
    // Bucket b: the first b bits are ours, and (but in the last bucket) bit b is not.
    for (std::size_t i = 0; i < b; ++i) set_bit(target, i, bit(self_, i));
    if (b + 1 < buckets_.size()) set_bit(target, b, !bit(self_, b));
    bk.last_active = now;
    out.push_back(target);
  }
  return out;
}

const node_entry* routing_table::find(const node_id& id) const {
  const auto l = locate(id);
  return l && !l->replacement ? &buckets_[l->bucket].nodes[l->index] : nullptr;
}

const node_entry* routing_table::find(const net::peer_address& address) const {
  const auto ep = endpoints_.find(address);
  return ep == endpoints_.end() ? nullptr : find(ep->second);
}

std::size_t routing_table::size() const {
  std::size_t n = 0;
  for (const bucket& bk : buckets_) n += bk.nodes.size();
  return n;
}

std::size_t routing_table::replacement_count() const {
  std::size_t n = 0;
  for (const bucket& bk : buckets_) n += bk.replacements.size();
  return n;
}

std::string routing_table::save() const {
  std::string v4, v6;
  for (const bucket& bk : buckets_) {
    for (const node_entry& e : bk.nodes) {
      if (!e.replied || e.fail_count >= config_.bad_after_failures) continue;
      append_node(e.address.is_v6 ? v6 : v4, e);
    }
  }
  std::string out;
  bencode::writer w(out);
  w.begin_dict().key("id").string(self_.view());
  if (!v4.empty()) w.key("nodes").string(v4);
  if (!v6.empty()) w.key("nodes6").string(v6);
  w.end();
  return out;
}

std::optional<routing_table::saved> routing_table::load(std::string_view data) {
  bencode::decode_limits limits;
  limits.max_depth = 2;
  limits.max_tokens = 16;
  limits.max_size = 256 * 1024;
  const auto v = bencode::decode(data, limits);
  if (!v || !v->is_dict()) return std::nullopt;
  const bencode::value* id = v->find("id");
  if (!id || !id->is_string() || id->as_string().size() != 20) return std::nullopt;
  saved s{node_id::from_bytes(id->as_string()), {}};
  const bencode::value* v4 = v->find("nodes");
  const bencode::value* v6 = v->find("nodes6");
  if ((v4 && !v4->is_string()) || (v6 && !v6->is_string())) return std::nullopt;
  if (v4 && !read_nodes(v4->as_string(), v4_node_size, s.self, s.nodes)) return std::nullopt;
  if (v6 && !read_nodes(v6->as_string(), v6_node_size, s.self, s.nodes)) return std::nullopt;
  return s;
}

}  // namespace corrent::dht
