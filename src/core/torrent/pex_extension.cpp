#include "core/torrent/pex_extension.hpp"

#include "core/torrent/torrent_logic.hpp"
#include "core/wire/extension/ut_pex.hpp"

namespace corrent::torrent {

bool pex_extension::offered() const {
  return !(t_.info_ && t_.info_->is_private);
}

void pex_extension::on_handshake(peer::peer_state& p, const wire::ext::handshake&, double now) {
  if (p.ext_id(name()) == 0) return;
  auto& st = peers_[p.key];
  st.handshake_at = now;
}

bool pex_extension::on_message(peer::peer_state& p, std::string_view payload, double now) {
  if (!offered()) return true;  // BEP 27: ignored
  auto& st = peers_[p.key];
  // A peer that sends more often than BEP 11 allows gets its extra messages ignored.
  if (st.last_received >= 0 && now - st.last_received < min_receive_interval_s) return true;
  auto m = wire::ext::decode_pex(payload, max_added);
  if (!m) {
    p.close(peer::close_reason::bad_extension, "ut_pex: " + m.error().message());
    return false;
  }
  st.last_received = now;
  // The sender's IP as origin (16 bits of it): each sender fills its own share of the book.
  std::uint16_t origin = 0;
  for (std::size_t i = 0; i < (p.address.is_v6 ? 16u : 4u); ++i) {
    origin = static_cast<std::uint16_t>(origin * 31 + p.address.ip[i]);
  }
  std::size_t n = 0;
  for (const auto& a : m->added) {
    if (n++ >= max_added) break;
    if (t_.book_.add(a.address, swarm::peer_source::pex, origin)) ++learnt_;
  }
  if (n > 0) t_.connect_more(now);
  return true;
}

void pex_extension::on_peer_closed(peer::peer_state& p, double) {
  peers_.erase(p.key);
}

void pex_extension::on_tick(double now) {
  if (!offered()) return;
  for (auto& [key, st] : peers_) {
    auto* p = t_.find_peer(key);
    if (!p || p->is_closing() || p->ext_id(name()) == 0) continue;
    const bool due = st.last_sent < 0 ? now - st.handshake_at >= first_send_after_s
                                      : now - st.last_sent >= send_interval_s;
    if (due) send_to(*p, st, now);
  }
}

void pex_extension::send_to(peer::peer_state& p, peer_pex& st, double now) {
  std::map<net::peer_address, const peer::peer_state*> live;  // where each listens
  for (const auto& [key, o] : t_.peers_) {
    if (o.get() == &p || o->is_closing()) continue;
    net::peer_address a = o->address;
    if (!o->outgoing) {
      if (o->listen_port == 0) continue;  // where it listens is unknown
      a.port = o->listen_port;
    }
    live.emplace(a, o.get());
  }
  wire::ext::pex_message m;
  for (const auto& [a, o] : live) {
    if (m.added.size() >= max_added) break;
    if (st.told.count(a)) continue;
    std::uint8_t flags = 0x10;  // reachable: we reached it, or it listens where it said
    if (o->upload_only || (o->has_bitfield && o->has.size() > 0 && o->has.all())) flags |= 0x02;
    m.added.push_back({a, flags});
  }
  for (auto it = st.told.begin(); it != st.told.end() && m.dropped.size() < max_dropped;) {
    if (live.count(*it)) {
      ++it;
      continue;
    }
    m.dropped.push_back(*it);
    it = st.told.erase(it);
  }
  st.last_sent = now;
  if (m.added.empty() && m.dropped.empty()) return;
  for (const auto& a : m.added) st.told.insert(a.address);
  p.send_extended(p.ext_id(name()), wire::ext::encode_pex(m));
}

}  // namespace corrent::torrent
