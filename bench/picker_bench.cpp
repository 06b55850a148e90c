// Piece picker cost on the download hot path: a whole torrent downloaded through
// pick_blocks -> on_block_received -> on_piece_verified, a few peers each keeping a queue
// of requests, blocks arriving in request order. One item = one 16 KiB block.
//   build/<dir>/bench/picker_bench --benchmark_filter=Picker
#include <benchmark/benchmark.h>

#include <cstdint>
#include <deque>
#include <random>
#include <vector>

#include "core/swarm/piece_picker.hpp"

namespace {

using corrent::swarm::bitfield;
using corrent::swarm::block_ref;
using corrent::swarm::peer_key;
using corrent::swarm::piece_picker;

constexpr std::int64_t block_size = 16 * 1024;

// Peer 0 is a seed; the others have each piece with probability `percent`.
std::vector<bitfield> make_peers(std::uint32_t pieces, int count, int percent) {
  std::mt19937_64 rng(42);
  std::vector<bitfield> peers;
  peers.emplace_back(pieces, true);
  for (int k = 1; k < count; ++k) {
    bitfield b(pieces);
    for (std::uint32_t i = 0; i < pieces; ++i) {
      if (static_cast<int>(rng() % 100) < percent) b.set(i);
    }
    peers.push_back(std::move(b));
  }
  return peers;
}

// Args: pieces, blocks per piece, peers, percent of pieces each non-seed peer has.
void BM_PickerWholeTorrent(benchmark::State& state) {
  const auto pieces = static_cast<std::uint32_t>(state.range(0));
  const std::int64_t piece_length = state.range(1) * block_size;
  const int peer_count = static_cast<int>(state.range(2));
  const auto peers = make_peers(pieces, peer_count, static_cast<int>(state.range(3)));
  constexpr std::size_t depth = 64;      // requests kept in flight per peer
  constexpr std::size_t per_round = 16;  // blocks each peer delivers per round
  std::mt19937_64 rng(7);
  std::vector<std::deque<block_ref>> in_flight(peers.size());
  std::vector<block_ref> picked;
  picked.reserve(depth);
  std::int64_t blocks = 0;
  for (auto _ : state) {
    state.PauseTiming();
    piece_picker picker(pieces, piece_length, std::int64_t{pieces} * piece_length);
    for (const auto& p : peers) picker.add_peer(p);
    for (auto& q : in_flight) q.clear();
    state.ResumeTiming();
    while (!picker.download_finished()) {
      for (std::size_t k = 0; k < peers.size(); ++k) {
        const auto who = static_cast<peer_key>(k);
        auto& queue = in_flight[k];
        picked.clear();
        picker.pick_blocks(who, peers[k], depth - queue.size(), rng(), picked);
        queue.insert(queue.end(), picked.begin(), picked.end());
        for (std::size_t i = 0; i < per_round && !queue.empty(); ++i) {
          const block_ref b = queue.front();
          queue.pop_front();
          const auto r = picker.on_block_received(who, b);
          if (!r.wanted) continue;
          ++blocks;
          if (r.piece_complete) picker.on_piece_verified(b.piece);
        }
      }
    }
    benchmark::DoNotOptimize(picker.have_count());
  }
  state.SetItemsProcessed(blocks);
  state.counters["blocks"] = static_cast<double>(blocks) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_PickerWholeTorrent)
    ->ArgNames({"pieces", "blocks", "peers", "pct"})
    ->Args({1'000'000, 1, 4, 90})  // 16 KiB pieces
    ->Args({1'000'000, 1, 4, 10})  // sparse non-seed peers
    ->Args({100'000, 16, 4, 90})   // 256 KiB pieces
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The work queue's worst case: a peer that holds 1% of the pieces, none of the rarest
// ones, so the bucket walk gives up and the word-parallel pass runs. Each iteration takes
// a piece and puts it back.
void BM_PickerRarestForSparsePeer(benchmark::State& state) {
  const std::uint32_t pieces = 1'000'000;
  piece_picker picker(pieces, block_size, std::int64_t{pieces} * block_size);
  bitfield sparse(pieces), others(pieces);
  for (std::uint32_t i = 0; i < pieces; ++i) (i % 100 == 0 ? sparse : others).set(i);
  picker.add_peer(others);
  picker.add_peer(sparse);
  picker.add_peer(sparse);  // the sparse peer's pieces are at availability 2, the rest 1
  std::uint64_t random = 1;
  for (auto _ : state) {
    const auto p = picker.get_piece_from_work_queue(sparse, random++);
    benchmark::DoNotOptimize(p);
    picker.put_piece_back_to_work_queue(*p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PickerRarestForSparsePeer)->Unit(benchmark::kMicrosecond);

}  // namespace
