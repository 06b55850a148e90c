#include "core/dht/node.hpp"

#include <algorithm>
#include <utility>

#include "core/dht/node_id_rules.hpp"

namespace corrent::dht {
namespace {

std::string ip_key(const net::peer_address& a) {
  return {reinterpret_cast<const char*>(a.ip.data()), a.is_v6 ? 16u : 4u};
}

std::string random_bytes(std::mt19937_64& rng, std::size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

node_id random_id(std::mt19937_64& rng) {
  node_id id;
  for (auto& b : id.bytes) b = static_cast<std::uint8_t>(rng() & 0xff);
  return id;
}

bool wants(const std::vector<std::string>& want, std::string_view family) {
  return std::find(want.begin(), want.end(), family) != want.end();
}

}  // namespace

node::node(node_config config, std::string_view saved, std::vector<net::peer_address> bootstrap,
           double now, std::uint64_t seed)
    : config_(config),
      rng_(seed),
      tokens_(random_bytes(rng_, 20), now),
      store_(config.store),
      saved_at_(now) {
  config_.lookups.query_timeout_s = config_.query_timeout_s;
  global_ = {config_.global_query_burst, now};  // a full budget at start
  for (const auto& b : bootstrap) {
    if (b.is_usable()) bootstrap_.push_back(b);
  }
  std::optional<routing_table::saved> s;
  if (!saved.empty()) s = routing_table::load(saved);
  table_ = std::make_unique<routing_table>(s ? s->self : random_id(rng_), config_.table);
  if (s) {
    for (const auto& n : s->nodes) table_->add_known(n.id, n.address);
  }
  bootstrap_if_empty(now);
}

node::~node() = default;

// ---------------------------------------------------------------- incoming

bool node::allow(const net::peer_address& from, double now) {
  const std::string key = ip_key(from);
  auto it = rates_.find(key);
  if (it == rates_.end()) {
    if (rates_.size() >= config_.max_rate_entries) {
      // Forget the IPs whose budget is whole again: they cost nothing to meet anew.
      std::erase_if(rates_, [&](const auto& kv) {
        return kv.second.tokens + (now - kv.second.at) * config_.per_ip_rate >=
               config_.per_ip_burst;
      });
      if (rates_.size() >= config_.max_rate_entries) return false;
    }
    it = rates_.emplace(key, rate_bucket{config_.per_ip_burst, now}).first;
  }
  rate_bucket& b = it->second;
  b.tokens = std::min(config_.per_ip_burst, b.tokens + (now - b.at) * config_.per_ip_rate);
  b.at = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

bool node::on_datagram(const net::peer_address& from, std::string_view data, double now) {
  if (data.empty() || data.front() != 'd') return false;
  if (!allow(from, now)) {
    ++counters_.rate_limited;
    return true;
  }
  decode_failure failure;
  auto m = decode(data, {}, &failure);
  if (!m) {
    ++counters_.malformed_in;
    if (failure.query && !config_.read_only)
      out_.push_back({from, encode_error(failure.transaction, error_protocol, "malformed query")});
    return true;
  }
  switch (m->k) {
    case message::kind::query: {
      global_.tokens = std::min(config_.global_query_burst,
                                global_.tokens + (now - global_.at) * config_.global_query_rate);
      global_.at = now;
      if (global_.tokens < 1) {
        ++counters_.rate_limited;
        return true;
      }
      global_.tokens -= 1;
      on_query(from, *m, now);
      break;
    }
    case message::kind::response:
      on_reply(from, *m, now);
      break;
    case message::kind::error:
      on_error_reply(from, *m, now);
      break;
  }
  return true;
}

std::vector<node_contact> node::nodes_for(const node_id& target, const net::peer_address& requester,
                                          const std::vector<std::string>& want, double now) const {
  const bool v4 = want.empty() ? !requester.is_v6 : wants(want, "n4");
  const bool v6 = want.empty() ? requester.is_v6 : wants(want, "n6");
  const std::size_t k = config_.table.bucket_size;
  std::vector<node_contact> out;
  std::size_t n4 = 0;
  std::size_t n6 = 0;
  for (const auto& c : table_->closest(target, 4 * k, now)) {
    if (c.address.is_v6 ? (v6 && n6 < k && ++n6) : (v4 && n4 < k && ++n4)) out.push_back(c);
  }
  return out;
}

void node::on_query(const net::peer_address& from, const message& m, double now) {
  if (config_.read_only || m.sender == table_->self()) return;
  ++counters_.queries_in;
  if (!m.read_only) table_->on_query_from(m.sender, from, now);
  const node_id& self = table_->self();
  switch (m.q) {
    case query_type::ping:
      out_.push_back({from, encode_response(m.transaction, self, from, {})});
      return;
    case query_type::find_node:
      out_.push_back({from, encode_response(m.transaction, self, from,
                                            nodes_for(m.target, from, m.want, now))});
      return;
    case query_type::get_peers: {
      std::vector<net::peer_address> values;
      for (const auto& p : store_.get(m.info_hash, config_.max_values, now, rng_())) {
        if (p.is_v6 == from.is_v6) values.push_back(p);
      }
      out_.push_back(
          {from,
           encode_response(m.transaction, self, from, nodes_for(m.info_hash, from, m.want, now),
                           values.empty() ? nullptr : &values, tokens_.make(from))});
      return;
    }
    case query_type::announce_peer: {
      if (!tokens_.valid(m.token, from, now)) {
        out_.push_back({from, encode_error(m.transaction, error_protocol, "bad token")});
        return;
      }
      net::peer_address peer = from;
      if (!m.implied_port) peer.port = m.port;
      store_.announce(m.info_hash, peer, now);
      out_.push_back({from, encode_response(m.transaction, self, from, {})});
      return;
    }
    case query_type::unknown:
      // Like libtorrent: a query we do not know that names a target is answered as
      // find_node (BEP 44 `get`, BEP 51 `sample_infohashes` clients can go on).
      if (m.has_target || m.has_info_hash) {
        const node_id& t = m.has_target ? m.target : m.info_hash;
        out_.push_back(
            {from, encode_response(m.transaction, self, from, nodes_for(t, from, m.want, now))});
      } else {
        out_.push_back({from, encode_error(m.transaction, error_method_unknown, "method unknown")});
      }
      return;
  }
}

std::optional<node::pending_query> node::take_pending(const net::peer_address& from,
                                                      const std::string& transaction) {
  const auto it = pending_.find(transaction);
  if (it == pending_.end() || it->second.to != from) {
    ++counters_.unexpected_in;
    return std::nullopt;
  }
  pending_query q = it->second;
  pending_.erase(it);
  ++counters_.replies_in;
  return q;
}

void node::on_reply(const net::peer_address& from, const message& m, double now) {
  const auto found = take_pending(from, m.transaction);
  if (!found) return;
  const pending_query& q = *found;
  if (m.sender == table_->self()) return;
  if (m.your_ip) vote_external_ip(*m.your_ip, from, now);
  if (!m.read_only) table_->on_reply(m.sender, from, now);
  if (q.why != purpose::lookup) return;
  const auto lit = lookups_.find(q.lookup_id);
  if (lit == lookups_.end()) return;
  running_lookup& r = lit->second;
  std::vector<node_contact> nodes;
  nodes.reserve(m.nodes.size());
  for (const auto& n : m.nodes) {
    if (n.id != table_->self()) nodes.push_back(n);
  }
  r.l->on_reply(from, m.sender, nodes, m.values, m.token, now);
  if (r.for_torrent && r.l->peers().size() > r.peers_reported) {
    event e;
    e.k = event::kind::peers;
    e.info_hash = r.l->target();
    e.peers.assign(r.l->peers().begin() + static_cast<std::ptrdiff_t>(r.peers_reported),
                   r.l->peers().end());
    r.peers_reported = r.l->peers().size();
    events_.push_back(std::move(e));
  }
  pump(now);
}

void node::on_error_reply(const net::peer_address& from, const message& m, double now) {
  const auto found = take_pending(from, m.transaction);
  if (!found) return;
  const pending_query& q = *found;
  if (q.why != purpose::lookup) return;
  const auto lit = lookups_.find(q.lookup_id);
  if (lit == lookups_.end()) return;
  lit->second.l->on_timeout(from, now);
  pump(now);
}

// ---------------------------------------------------------------- outgoing

std::string node::new_transaction() {
  for (;;) {
    const auto v = static_cast<std::uint16_t>(rng_() & 0xffff);
    std::string t{static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
    if (!pending_.contains(t)) return t;
  }
}

std::optional<std::string> node::send_query(const net::peer_address& to, purpose why,
                                            std::uint64_t lookup_id, double now) {
  if (pending_.size() >= config_.max_pending || !to.is_usable()) return std::nullopt;
  std::string t = new_transaction();
  pending_.emplace(t, pending_query{to, why, lookup_id, now});
  table_->on_query_sent(to, now);
  ++counters_.queries_out;
  return t;
}

std::uint64_t node::start_lookup(const node_id& target, lookup_kind kind, bool for_torrent,
                                 std::uint16_t announce_port, double now) {
  if (lookups_.size() >= config_.max_lookups) return 0;
  auto l = std::make_unique<lookup>(
      target, kind, table_->closest(target, 2 * config_.lookups.k, now), config_.lookups);
  if (table_->size() < config_.table.bucket_size) {
    for (const auto& b : bootstrap_) l->add_bootstrap(b);
  }
  l->start(now);
  const std::uint64_t id = next_lookup_id_++;
  lookups_.emplace(id, running_lookup{std::move(l), announce_port, for_torrent, 0});
  return id;
}

bool node::get_peers(const node_id& info_hash, std::uint16_t announce_port, double now) {
  for (const auto& [id, r] : lookups_) {
    if (r.for_torrent && r.l->target() == info_hash) return false;
  }
  if (start_lookup(info_hash, lookup_kind::get_peers, true, announce_port, now) == 0) return false;
  log("lookup " + info_hash.hex() + " started (" + std::to_string(table_->size()) +
      " nodes in the table)");
  pump(now);
  return true;
}

void node::add_node(const net::peer_address& address, double now) {
  if (!address.is_usable() || table_->find(address) != nullptr) return;
  for (const auto& [t, q] : pending_) {
    if (q.to == address) return;
  }
  if (auto t = send_query(address, purpose::ping, 0, now))
    out_.push_back({address, encode_ping(*t, table_->self(), config_.read_only)});
}

void node::add_router(const net::peer_address& address) {
  if (!address.is_usable() || bootstrap_.size() >= 64) return;
  if (std::find(bootstrap_.begin(), bootstrap_.end(), address) != bootstrap_.end()) return;
  bootstrap_.push_back(address);
  last_bootstrap_ = -1e18;
}

void node::pump(double now) {
  const node_id& self = table_->self();
  for (auto it = lookups_.begin(); it != lookups_.end();) {
    running_lookup& r = it->second;
    if (!r.l->done() && pending_.size() + config_.lookups.alpha <= config_.max_pending) {
      for (const auto& c : r.l->next_queries(now)) {
        const auto t = send_query(c.address, purpose::lookup, it->first, now);
        if (!t) {
          r.l->on_timeout(c.address, now);
          continue;
        }
        out_.push_back(
            {c.address, r.l->kind() == lookup_kind::get_peers
                            ? encode_get_peers(*t, self, r.l->target(), config_.read_only)
                            : encode_find_node(*t, self, r.l->target(), config_.read_only)});
      }
    }
    r.l->take_failed();  // the table hears of failures from expire_pending()
    if (r.l->done()) {
      finish(it->first, r, now);
      it = lookups_.erase(it);
    } else {
      ++it;
    }
  }
}

void node::finish(std::uint64_t id, running_lookup& r, double now) {
  (void)id;
  const lookup& l = *r.l;
  std::size_t announced = 0;
  if (l.kind() == lookup_kind::get_peers && r.announce_port != 0) {
    for (const auto& h : l.closest_with_tokens()) {
      const auto t = send_query(h.node.address, purpose::announce, 0, now);
      if (!t) break;
      out_.push_back(
          {h.node.address, encode_announce_peer(*t, table_->self(), l.target(), r.announce_port,
                                                false, h.token, config_.read_only)});
      ++announced;
    }
  }
  if (!r.for_torrent) return;
  ++counters_.lookups_done;
  log("lookup " + l.target().hex() + " done: " + std::to_string(l.queries_sent()) +
      " nodes asked, " + std::to_string(l.peers().size()) + " peers, announced to " +
      std::to_string(announced));
  event e;
  e.k = event::kind::lookup_done;
  e.info_hash = l.target();
  e.nodes_asked = l.queries_sent();
  e.peers_total = l.peers().size();
  events_.push_back(std::move(e));
}

// ---------------------------------------------------------------- time

void node::expire_pending(double now) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (now - it->second.sent_at < config_.query_timeout_s) {
      ++it;
      continue;
    }
    const pending_query q = it->second;
    it = pending_.erase(it);
    ++counters_.timeouts;
    table_->on_timeout(q.to, now);
    if (q.why == purpose::lookup) {
      if (const auto lit = lookups_.find(q.lookup_id); lit != lookups_.end())
        lit->second.l->on_timeout(q.to, now);
    }
  }
}

void node::bootstrap_if_empty(double now) {
  if (table_->size() >= config_.table.bucket_size ||
      now - last_bootstrap_ < config_.bootstrap_retry_s)
    return;
  if (bootstrap_.empty() && table_->size() == 0) return;
  for (const auto& [id, r] : lookups_) {
    if (!r.for_torrent && r.l->target() == table_->self()) return;
  }
  last_bootstrap_ = now;
  if (start_lookup(table_->self(), lookup_kind::find_node, false, 0, now) != 0)
    log("bootstrapping from " + std::to_string(bootstrap_.size()) + " routers and " +
        std::to_string(table_->size()) + " known nodes");
}

void node::tick(double now) {
  expire_pending(now);
  if (tokens_.rotation_due(now)) tokens_.rotate(random_bytes(rng_, 20), now);
  store_.expire(now);
  for (const auto& c : table_->ping_targets(now, config_.pings_per_tick)) {
    if (auto t = send_query(c.address, purpose::ping, 0, now))
      out_.push_back({c.address, encode_ping(*t, table_->self(), config_.read_only)});
  }
  for (const auto& target : table_->refresh_targets(now, rng_())) {
    start_lookup(target, lookup_kind::find_node, false, 0, now);
  }
  bootstrap_if_empty(now);
  pump(now);
}

// ---------------------------------------------------------------- BEP 42

void node::vote_external_ip(const net::peer_address& ip, const net::peer_address& voter,
                            double now) {
  net::peer_address addr = ip;
  addr.port = 0;
  if (!net::peer_address{addr.ip, addr.is_v6, 1}.is_usable()) return;
  if (!ip_votes_.contains(addr) && ip_votes_.size() >= 16) ip_votes_.clear();
  auto& voters = ip_votes_[addr];
  if (voters.size() < 64) voters[ip_key(voter)] = now;
  if (voters.size() < static_cast<std::size_t>(config_.external_ip_votes) || external_ip_ == addr)
    return;
  external_ip_ = addr;
  ip_votes_.clear();
  if (bep42_exempt(addr) || bep42_valid(table_->self(), addr)) return;
  const auto r = static_cast<std::uint8_t>(rng_() & 0xff);
  change_id(bep42_id(addr, r, rng_()), now);
}

void node::change_id(const node_id& id, double now) {
  log("our address is " + external_ip_->to_string() + ": new node id " + id.hex() + " (BEP 42)");
  auto fresh = std::make_unique<routing_table>(id, config_.table);
  for (const auto& bk : table_->buckets()) {
    for (const auto& e : bk.nodes) fresh->add_known(e.id, e.address);
  }
  table_ = std::move(fresh);
  last_bootstrap_ = -1e18;
  bootstrap_if_empty(now);
}

// ---------------------------------------------------------------- reports

std::vector<node::outgoing> node::take_outgoing() {
  return std::exchange(out_, {});
}

std::vector<node::event> node::take_events() {
  return std::exchange(events_, {});
}

void node::log(std::string text) {
  event e;
  e.k = event::kind::log;
  e.text = std::move(text);
  events_.push_back(std::move(e));
}

node_stats node::stats() const {
  node_stats s = counters_;
  s.nodes = table_->size();
  s.replacements = table_->replacement_count();
  s.pending = pending_.size();
  s.lookups = lookups_.size();
  s.stored_info_hashes = store_.info_hash_count();
  s.stored_peers = store_.total_peers();
  return s;
}

}  // namespace corrent::dht
