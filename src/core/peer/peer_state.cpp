#include "core/peer/peer_state.hpp"

#include <algorithm>

#include "core/wire/codec.hpp"

namespace corrent::peer {

peer_state::peer_state(swarm::peer_key key_, net::peer_address address_, bool outgoing_,
                       std::vector<swarm::peer_key>* dirty)
    : key(key_), address(address_), outgoing(outgoing_), dirty_(dirty) {}

void peer_state::touch() {
  if (dirty_ && !dirty_listed_) {
    dirty_listed_ = true;
    dirty_->push_back(key);
  }
}

void peer_state::close(close_reason why, std::string detail) {
  if (is_closing()) return;
  closing = why;
  close_detail = std::move(detail);
  touch();  // the io layer looks at dirty peers: it closes this one
}

void peer_state::send_bitfield(const swarm::bitfield& ours) {
  wire::encode_bitfield(out, ours.to_wire());
  touch();
}

void peer_state::send_have(std::uint32_t piece) {
  wire::encode_have(out, piece);
  touch();
}

void peer_state::send_choke() {
  am_choking = true;
  wire::encode_choke(out);
  if (fast_extension) {
    // BEP 6: no request goes unanswered; allowed-fast ones are still served.
    std::erase_if(incoming, [&](const swarm::block_ref& b) {
      if (allowed_while_choked(b.piece)) return false;
      wire::encode_reject(out, b.piece, b.begin, b.length);
      return true;
    });
  } else {
    incoming.clear();  // BEP 3: a choke discards the peer's pending requests
  }
  touch();
}

void peer_state::send_unchoke() {
  am_choking = false;
  wire::encode_unchoke(out);
  touch();
}

void peer_state::send_interested(bool interested) {
  if (interested == am_interested) return;
  am_interested = interested;
  if (interested) {
    wire::encode_interested(out);
  } else {
    wire::encode_not_interested(out);
  }
  touch();
}

void peer_state::send_request(const swarm::block_ref& b, double now) {
  wire::encode_request(out, b.piece, b.begin, b.length);
  requests.push_back(b);
  request_sent_at.push_back(now);
  touch();
}

bool peer_state::send_cancel(const swarm::block_ref& b) {
  if (!remove_request(b)) return false;
  wire::encode_cancel(out, b.piece, b.begin, b.length);
  touch();
  return true;
}

void peer_state::send_keep_alive() {
  wire::encode_keep_alive(out);
  touch();
}

void peer_state::send_port(std::uint16_t port) {
  wire::encode_port(out, port);
  touch();
}

void peer_state::send_have_all() {
  wire::encode_have_all(out);
  touch();
}

void peer_state::send_have_none() {
  wire::encode_have_none(out);
  touch();
}

void peer_state::send_allowed_fast(std::uint32_t piece) {
  if (allowed_while_choked(piece)) return;
  allowed_fast_out.push_back(piece);
  wire::encode_allowed_fast(out, piece);
  touch();
}

void peer_state::send_reject(const swarm::block_ref& b) {
  wire::encode_reject(out, b.piece, b.begin, b.length);
  touch();
}

void peer_state::send_extended(std::uint8_t id, std::string_view payload) {
  wire::encode_extended(out, id, payload);
  touch();
}

std::uint8_t peer_state::ext_id(std::string_view name) const {
  for (const auto& [n, id] : ext_ids) {
    if (n == name) return id;
  }
  return 0;
}

bool peer_state::allowed_while_choked(std::uint32_t piece) const {
  return std::find(allowed_fast_out.begin(), allowed_fast_out.end(), piece) !=
         allowed_fast_out.end();
}

bool peer_state::allows_us(std::uint32_t piece) const {
  return std::find(allowed_fast_in.begin(), allowed_fast_in.end(), piece) != allowed_fast_in.end();
}

void peer_state::on_choke(std::vector<swarm::block_ref>& dropped) {
  peer_choking = true;
  if (fast_extension) return;  // BEP 6: it rejects what it will not serve
  dropped.insert(dropped.end(), requests.begin(), requests.end());
  requests.clear();
  request_sent_at.clear();
}

peer_state::request_verdict peer_state::on_request(const swarm::block_ref& b, bool we_have) {
  if (!we_have || (am_choking && !(fast_extension && allowed_while_choked(b.piece)))) {
    if (!fast_extension) return request_verdict::ignored;  // BEP 3
    send_reject(b);                                        // BEP 6: every request is answered
    return request_verdict::rejected;
  }
  if (incoming.size() >= max_queued_requests) return request_verdict::flood;
  incoming.push_back(b);
  return request_verdict::queued;
}

void peer_state::on_cancel(const swarm::block_ref& b) {
  const auto it = std::find(incoming.begin(), incoming.end(), b);
  if (it == incoming.end()) return;
  incoming.erase(it);
  if (fast_extension) send_reject(b);  // BEP 6: the request still gets its answer
}

bool peer_state::remove_request(const swarm::block_ref& b) {
  // Blocks mostly arrive in the order asked: the match is nearly always the front.
  const auto it = std::find(requests.begin(), requests.end(), b);
  if (it == requests.end()) return false;
  request_sent_at.erase(request_sent_at.begin() + (it - requests.begin()));
  requests.erase(it);
  return true;
}

}  // namespace corrent::peer
