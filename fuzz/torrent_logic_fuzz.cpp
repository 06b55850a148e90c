// Drives torrent::torrent_logic with up to four scripted peers sending whatever the input
// says (any message, in any order, with any fields), with the clock, hash results, uploads
// and closes interleaved, and checks its invariants after every step:
//   * no request is sent to a peer that chokes us (as the peer last said);
//   * a block is never outstanding twice at one peer, and a request for a block already
//     outstanding at another peer is sent only in the endgame (copies asked for in the
//     endgame may outlive it: a failed piece reopens blocks); the picker's count of
//     requesters agrees with the peers' request lists;
//   * no piece is counted twice: verified bytes and the have count match the bitfield,
//     and a piece waiting for its hash is not had;
//   * the shared piece budget holds exactly what the torrent has open and pending.
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/crypto/sha1.hpp"
#include "core/torrent/torrent_logic.hpp"
#include "core/wire/codec.hpp"

namespace {

using namespace corrent;

struct input {
  const std::uint8_t* p;
  std::size_t n;
  std::uint8_t byte() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  std::uint32_t u32(std::uint32_t mod) {
    std::uint32_t v = byte();
    v = (v << 8) | byte();
    return mod ? v % mod : v;
  }
};

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  input in{data, size};
  constexpr std::uint32_t block = wire::block_size;
  metainfo::info info;
  const std::uint32_t pieces = 1 + in.byte() % 12;
  const std::uint32_t bpp = 1 + in.byte() % 4;
  info.name = "f";
  info.piece_length = static_cast<std::int64_t>(bpp) * block;
  info.total_length = info.piece_length * pieces - (in.byte() % 2 ? block / 2 : 0);
  info.piece_hashes.assign(pieces * 20, 'h');
  metainfo::file_entry f;
  f.path = "f";
  f.length = info.total_length;
  info.files.push_back(f);
  swarm::piece_budget budget(6 * info.piece_length);
  torrent::torrent_config cfg;
  cfg.endgame_requests = 1 + in.byte() % 8;
  torrent::torrent_logic logic(cfg, {{"http://t/announce"}}, in.byte());
  logic.attach(&budget, nullptr, nullptr);
  swarm::bitfield have(pieces);
  for (std::uint32_t i = 0; i < pieces; ++i)
    if (in.byte() % 4 == 0) have.set(i);
  logic.set_info(info, have);
  if (in.byte() % 2) logic.set_seeding(true, 0);

  double now = 1;
  std::map<swarm::peer_key, bool> chokes_us;  // the scripted peers' last word
  std::set<std::uint32_t> hashing;
  std::vector<swarm::block_ref> batch;
  swarm::peer_key next = 1;
  std::string payload(block, 'x');

  auto drain = [&] {
    for (auto key : logic.dirty()) {
      auto* p = logic.find_peer(key);
      if (!p) continue;
      wire::decoder d;
      d.feed(p->out);
      p->out.clear();
      p->flushed();
      for (;;) {
        auto m = d.next();
        if (!m) fail("the logic sent a message it cannot decode");
        if (!*m) break;
        if ((*m)->type == wire::message_type::request && chokes_us[key])
          fail("request sent to a peer that chokes us");
      }
    }
    logic.dirty().clear();
    for (auto& a : logic.actions()) {
      if (a.kind == torrent::action_kind::hash_piece) {
        if (!hashing.insert(a.piece).second) fail("piece handed to the disk twice");
        if (logic.have_bitfield().test(a.piece)) fail("a piece we have handed to the disk");
      }
      if (a.kind == torrent::action_kind::connect) logic.on_connect_failed(a.address,
                                                                           peer::close_reason::connect_failed, now);
    }
    logic.actions().clear();
  };

  // The requests outstanding before a step, to tell the ones it sent.
  using block_id = std::pair<std::uint32_t, std::uint32_t>;
  std::map<swarm::peer_key, std::set<block_id>> before;
  bool endgame_before = false;
  auto snapshot = [&] {
    before.clear();
    for (const auto& [key, p] : logic.peers()) {
      auto& mine = before[key];
      for (const auto& b : p->requests) mine.insert({b.piece, b.begin});
    }
    endgame_before = logic.picker()->in_endgame();
  };

  auto check = [&] {
    const auto* picker = logic.picker();
    const auto bf = logic.have_bitfield();
    std::int64_t bytes = 0;
    for (std::uint32_t i = 0; i < pieces; ++i) {
      if (bf.test(i)) bytes += info.piece_size(i);
      if (bf.test(i) && hashing.count(i)) fail("a piece had and waiting for its hash");
    }
    if (bytes != logic.verified_bytes()) fail("verified bytes disagree with the bitfield");
    if (bf.count() != logic.have_count()) fail("have count disagrees with the bitfield");
    std::map<block_id, std::uint32_t> asked;
    for (const auto& [key, p] : logic.peers()) {
      std::set<block_id> mine;
      for (const auto& b : p->requests) {
        if (!mine.insert({b.piece, b.begin}).second) fail("a block requested twice from one peer");
        ++asked[{b.piece, b.begin}];
      }
    }
    const bool endgame = endgame_before || picker->in_endgame();
    for (const auto& [key, p] : logic.peers()) {
      const auto it = before.find(key);
      for (const auto& b : p->requests) {
        const block_id id{b.piece, b.begin};
        const bool fresh = it == before.end() || !it->second.count(id);
        if (fresh && asked[id] > 1 && !endgame)
          fail("a block already outstanding at another peer requested outside the endgame");
      }
    }
    for (const auto& [b, n] : asked) {
      if (picker->requesters(b.first, b.second / block) != n)
        fail("the picker's requesters disagree with the peers' requests");
    }
    const auto len = info.piece_length;
    if (budget.open_bytes() != static_cast<std::int64_t>(logic.open_pieces()) * len)
      fail("budget open bytes disagree");
    if (budget.pending_bytes() != static_cast<std::int64_t>(logic.pending_pieces()) * len)
      fail("budget pending bytes disagree");
    if (logic.pending_pieces() != hashing.size()) fail("pending pieces disagree with the disk");
  };

  for (int step = 0; step < 400 && in.n > 0; ++step) {
    snapshot();
    const std::uint8_t op = in.byte();
    const auto live = logic.peers().size();
    if (op < 16 || live == 0) {
      if (live < 4) {
        const auto key = next++;
        logic.on_peer_connected(key, net::peer_address::v4(0x7f000002 + key, 6881), op & 1, {},
                                {}, now);
        chokes_us[key] = true;
      }
    } else if (op < 24) {
      now += 0.05 + (in.byte() % 40) * 0.1;
      logic.on_tick(now);
    } else if (op < 32) {
      if (!hashing.empty()) {
        auto it = hashing.begin();
        std::advance(it, in.byte() % hashing.size());
        const auto piece = *it;
        hashing.erase(it);
        const bool ok = in.byte() % 8 != 0;
        std::vector<crypto::sha1_digest> digests;
        if (!ok || logic.watching(piece)) digests.resize(bpp);
        logic.on_piece_hashed(piece, ok, digests, now);
      }
    } else {
      // A message from one of the peers.
      auto it = logic.peers().begin();
      std::advance(it, in.byte() % live);
      const auto key = it->first;
      auto& p = *it->second;
      wire::message m;
      static constexpr wire::message_type types[] = {
          wire::message_type::choke,        wire::message_type::unchoke,
          wire::message_type::interested,   wire::message_type::not_interested,
          wire::message_type::have,         wire::message_type::bitfield,
          wire::message_type::request,      wire::message_type::piece,
          wire::message_type::cancel,       wire::message_type::have_all,
          wire::message_type::have_none,    wire::message_type::reject,
          wire::message_type::keep_alive,   wire::message_type::suggest};
      m.type = types[op % std::size(types)];
      const bool from_requests = in.byte() % 4 != 0 && !p.requests.empty();
      if (from_requests) {
        const auto& b = p.requests[in.byte() % p.requests.size()];
        m.piece = b.piece;
        m.begin = b.begin;
        m.length = b.length;
      } else {
        m.piece = in.u32(pieces + 2);
        m.begin = in.u32(bpp + 1) * block;
        m.length = in.byte() % 8 == 0 ? in.u32(block + 2) : block;
      }
      std::string bits;
      if (m.type == wire::message_type::bitfield) {
        swarm::bitfield b(pieces);
        for (std::uint32_t i = 0; i < pieces; ++i)
          if (in.byte() % 2) b.set(i);
        bits = b.to_wire();
        if (in.byte() % 16 == 0) bits.push_back('\xff');
        m.payload = bits;
      }
      if (m.type == wire::message_type::piece) {
        if (m.length > payload.size()) m.length = static_cast<std::uint32_t>(payload.size());
        m.payload = std::string_view(payload).substr(0, m.length);
      }
      if (m.type == wire::message_type::choke) chokes_us[key] = true;
      if (m.type == wire::message_type::unchoke) chokes_us[key] = false;
      if (logic.on_message(key, m, now)) {
        logic.after_messages(key, now);
      }
      // The io layer closes a peer the logic wants closed.
      drain();
      if (auto* q = logic.find_peer(key); q && q->is_closing()) {
        logic.on_peer_closed(key, now);
        chokes_us.erase(key);
      }
      // Serve what it asked for, sometimes.
      if (auto* q = logic.find_peer(key); q && in.byte() % 2) {
        batch.clear();
        logic.take_upload_batch(key, 1 + in.byte() % 16, now, batch);
        logic.on_upload_ready(key, batch, now);
      }
    }
    drain();
    // Peers closed by a ban or a snub go away.
    std::vector<swarm::peer_key> closing;
    for (const auto& [key, p] : logic.peers())
      if (p->is_closing()) closing.push_back(key);
    for (auto key : closing) {
      logic.on_peer_closed(key, now);
      chokes_us.erase(key);
    }
    drain();
    check();
  }
  return 0;
}
