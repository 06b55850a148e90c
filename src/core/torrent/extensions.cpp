// torrent_logic, the extension protocol (BEP 10) and the fast extension (BEP 6): our
// extended handshake and allowed-fast set, theirs received, extended messages routed to
// the named handlers (metadata_extension, pex_extension), fast-only messages refused
// when the extension was not negotiated.
#include <algorithm>

#include "core/peer/allowed_fast.hpp"
#include "core/text/printable.hpp"
#include "core/torrent/torrent_logic.hpp"
#include "core/wire/extension/handshake.hpp"

namespace corrent::torrent {

void torrent_logic::send_extended_handshake(peer::peer_state& p) {
  wire::ext::handshake h;
  for (auto* e : extensions_) {
    if (e->offered()) h.m.emplace_back(std::string(e->name()), e->local_id());
    e->fill_handshake(h);
  }
  h.v = config_.client_version;
  if (config_.listen_port != 0) h.p = config_.listen_port;
  h.reqq = config_.reqq;
  h.yourip.assign(reinterpret_cast<const char*>(p.address.ip.data()), p.address.is_v6 ? 16 : 4);
  p.send_extended(0, wire::ext::encode_handshake(h));
}

void torrent_logic::send_allowed_fast(peer::peer_state& p) {
  // BEP 6 defines the set for IPv4 peers; a seed (or one that will be) needs none.
  if (!picker_ || p.address.is_v6 || have_count() == 0 || config_.allowed_fast_count == 0) return;
  std::array<std::uint8_t, 4> ip{};
  std::copy(p.address.ip.begin(), p.address.ip.begin() + 4, ip.begin());
  for (const auto piece : peer::allowed_fast_set(ip, config_.info_hash, picker_->num_pieces(),
                                                 config_.allowed_fast_count)) {
    if (picker_->have(piece)) p.send_allowed_fast(piece);
  }
}

bool torrent_logic::on_fast_only(peer::peer_state& p, const wire::message& m) {
  if (p.fast_extension) return true;
  p.close(peer::close_reason::fast_not_negotiated,
          "message " + std::to_string(static_cast<int>(m.raw_id)) + " without the fast extension");
  return false;
}

bool torrent_logic::on_extended(peer::peer_state& p, const wire::message& m, double now) {
  if (m.extended_id == 0) {
    auto h = wire::ext::decode_handshake(m.payload);
    if (!h) {
      p.close(peer::close_reason::bad_extension, "extended handshake: " + h.error().message());
      return false;
    }
    const bool first = !p.ext_handshake_received;
    p.ext_handshake_received = true;
    p.ext_ids = h->m;  // a later handshake updates what it said (BEP 10)
    if (!h->v.empty()) p.client = text::printable(h->v);
    if (h->p) p.listen_port = *h->p;
    if (h->reqq) p.reqq = *h->reqq;
    p.upload_only = h->upload_only;
    if (first) {
      for (auto* e : extensions_) e->on_handshake(p, *h, now);
    }
    return !p.is_closing();
  }
  for (auto* e : extensions_) {
    if (e->local_id() == m.extended_id) return e->on_message(p, m.payload, now);
  }
  return true;  // an id we never offered: ignored
}

}  // namespace corrent::torrent
