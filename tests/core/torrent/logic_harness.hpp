// A scripted torrent_logic for unit tests: real data and hashes, peers driven message by
// message, actions carried out at once (blocks stored, pieces hashed), bytes sent decoded.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/crypto/sha1.hpp"
#include "core/torrent/torrent_logic.hpp"
#include "core/wire/codec.hpp"

namespace corrent::torrent::testing {

using swarm::block_ref;
using wire::message;
using wire::message_type;
constexpr std::uint32_t block = wire::block_size;

// A torrent of `pieces` pieces of `blocks_per_piece` blocks (the last piece one block
// shorter by half) with real data and hashes, and a logic to drive with scripted peers.
struct harness {
  std::string data;
  metainfo::info info;
  torrent_logic logic;
  double now = 100;
  swarm::peer_key next_key = 1;

  explicit harness(std::uint32_t pieces = 8, std::uint32_t blocks_per_piece = 2,
                   torrent_config config = {}, std::vector<std::vector<std::string>> trackers = {})
      : logic(config, std::move(trackers), 42) {
    std::mt19937 rng(1);
    const std::int64_t piece_length = blocks_per_piece * block;
    const std::int64_t total = piece_length * pieces - block / 2;
    data.resize(static_cast<std::size_t>(total));
    for (auto& c : data) c = static_cast<char>(rng());
    info.name = "t.bin";
    info.piece_length = piece_length;
    info.total_length = total;
    for (std::int64_t off = 0; off < total; off += piece_length) {
      const auto d = crypto::sha1(std::string_view(data).substr(
          static_cast<std::size_t>(off), static_cast<std::size_t>(piece_length)));
      info.piece_hashes.append(reinterpret_cast<const char*>(d.data()), d.size());
    }
    metainfo::file_entry f;
    f.path = "t.bin";
    f.length = total;
    info.files.push_back(f);
    info.info_hash = crypto::sha1("info");
  }

  void set_info(const swarm::bitfield& have = {}) { logic.set_info(info, have); }

  // `fast`: the peer sets the fast extension's and the extension protocol's bits.
  swarm::peer_key connect(std::uint32_t ip = 0x7f000002, std::uint16_t port = 6881,
                          bool outgoing = true, bool fast = false) {
    const auto key = next_key++;
    std::array<std::uint8_t, 8> reserved{};
    if (fast) reserved = wire::our_reserved();
    logic.on_peer_connected(key, net::peer_address::v4(ip, port), outgoing, {}, reserved, now);
    return key;
  }

  bool send(swarm::peer_key key, message m) {
    const bool ok = logic.on_message(key, m, now);
    if (ok) logic.after_messages(key, now);
    return ok;
  }
  bool send(swarm::peer_key key, message_type t) {
    message m;
    m.type = t;
    return send(key, m);
  }
  // have_all with the fast extension; a full bitfield without it (BEP 3).
  std::string full_bits;
  bool have_all(swarm::peer_key key) {
    const auto* p = logic.find_peer(key);
    if (p && p->fast_extension) return send(key, message_type::have_all);
    swarm::bitfield all(static_cast<std::size_t>(info.num_pieces()), true);
    full_bits = all.to_wire();
    message m;
    m.type = message_type::bitfield;
    m.payload = full_bits;
    return send(key, m);
  }
  bool have(swarm::peer_key key, std::uint32_t piece) {
    message m;
    m.type = message_type::have;
    m.piece = piece;
    return send(key, m);
  }
  bool request(swarm::peer_key key, block_ref b) {
    message m;
    m.type = message_type::request;
    m.piece = b.piece;
    m.begin = b.begin;
    m.length = b.length;
    return send(key, m);
  }
  // The right bytes for `b` (or wrong ones).
  bool deliver(swarm::peer_key key, block_ref b, bool corrupt = false) {
    message m;
    m.type = message_type::piece;
    m.piece = b.piece;
    m.begin = b.begin;
    m.length = b.length;
    std::string bytes =
        data.substr(static_cast<std::size_t>(b.piece) * info.piece_length + b.begin, b.length);
    if (corrupt) bytes[0] = static_cast<char>(bytes[0] ^ 0xff);
    m.payload = bytes;
    stored.clear();
    const bool ok = logic.on_message(key, m, now);
    // store_block points into `bytes`: copy what the io layer would store, now.
    take_actions();
    if (ok) logic.after_messages(key, now);
    return ok;
  }

  // Drains the actions: stores blocks into per-piece buffers, hashes complete pieces at
  // once (report_hashes) or queues them (hash_queue), and records the rest.
  std::map<std::uint32_t, std::string> buffers;
  std::vector<std::uint32_t> hash_queue;
  std::vector<action> other;
  std::vector<block_ref> stored;
  bool report_hashes = true;
  void take_actions() {
    auto acts = std::move(logic.actions());
    logic.actions().clear();
    for (auto& a : acts) {
      if (a.kind == action_kind::store_block) {
        auto& buf = buffers[a.block.piece];
        buf.resize(static_cast<std::size_t>(info.piece_length));
        std::copy(a.data.begin(), a.data.end(), buf.begin() + a.block.begin);
        stored.push_back(a.block);
      } else if (a.kind == action_kind::hash_piece) {
        hash_queue.push_back(a.piece);
      } else {
        other.push_back(std::move(a));
      }
    }
    if (report_hashes) hash_all();
  }
  void hash_all() {
    while (!hash_queue.empty()) {
      const auto piece = hash_queue.front();
      hash_queue.erase(hash_queue.begin());
      auto buf = buffers[piece];
      buf.resize(static_cast<std::size_t>(info.piece_size(piece)));
      buffers.erase(piece);
      const bool ok = crypto::sha1(buf) == info.piece_hash(piece);
      std::vector<crypto::sha1_digest> digests;
      if (!ok || logic.watching(piece)) digests = swarm::block_digests(buf);
      logic.on_piece_hashed(piece, ok, digests, now);
      take_actions();
    }
  }
  bool has_action(action_kind k) const {
    return std::any_of(other.begin(), other.end(), [&](const action& a) { return a.kind == k; });
  }
  std::vector<std::string> logs() const {
    std::vector<std::string> out;
    for (const auto& a : other)
      if (a.kind == action_kind::log_info || a.kind == action_kind::log_warn) out.push_back(a.text);
    return out;
  }

  // What the logic sent to `key` since the last call, decoded (out is consumed).
  std::vector<message> sent(swarm::peer_key key) {
    auto* p = logic.find_peer(key);
    if (!p) return {};
    wire_out[key] = std::move(p->out);
    p->out.clear();
    p->flushed();
    // Payload views point into the decoder: kept until the next call for this peer.
    auto& d = *(decoders[key] = std::make_unique<wire::decoder>());
    d.feed(wire_out[key]);
    std::vector<message> msgs;
    for (;;) {
      auto m = d.next();
      if (!m || !*m) break;
      msgs.push_back(**m);
    }
    return msgs;
  }
  std::map<swarm::peer_key, std::string> wire_out;
  std::map<swarm::peer_key, std::unique_ptr<wire::decoder>> decoders;

  static std::vector<block_ref> requests_in(const std::vector<message>& msgs) {
    std::vector<block_ref> out;
    for (const auto& m : msgs)
      if (m.type == message_type::request) out.push_back({m.piece, m.begin, m.length});
    return out;
  }
  static std::size_t count(const std::vector<message>& msgs, message_type t) {
    return static_cast<std::size_t>(
        std::count_if(msgs.begin(), msgs.end(), [&](const message& m) { return m.type == t; }));
  }
  // A seeder peer that unchoked us: have_all + unchoke.
  swarm::peer_key seeder(std::uint32_t ip = 0x7f000002, std::uint16_t port = 6881) {
    const auto k = connect(ip, port);
    have_all(k);
    send(k, message_type::unchoke);
    return k;
  }
  // Answers every outstanding request of `key` with the right (or corrupt) data.
  void serve_all(swarm::peer_key key, bool corrupt = false) {
    for (int round = 0; round < 1000; ++round) {
      auto* p = logic.find_peer(key);
      if (!p || p->requests.empty() || p->is_closing()) return;
      deliver(key, p->requests.front(), corrupt);
    }
  }
};

}  // namespace corrent::torrent::testing
