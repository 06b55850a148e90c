// Peer wire decoder throughput on the download hot path: a stream of piece messages with
// 16 KiB blocks, copied into the decoder's prepared space one "socket read" at a time
// (the copy stands in for the kernel's) and drained with next().
//   build/<dir>/bench/wire_bench --benchmark_filter=Wire
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>

#include "core/wire/codec.hpp"

namespace {

using corrent::wire::block_size;
using corrent::wire::decoder;

std::string piece_stream(std::uint32_t pieces) {
  std::string s;
  for (std::uint32_t i = 0; i < pieces; ++i) {
    corrent::wire::encode_piece_header(s, i, 0, block_size);
    s.append(block_size, static_cast<char>(i));
  }
  return s;
}

std::string have_stream(std::uint32_t count) {
  std::string s;
  for (std::uint32_t i = 0; i < count; ++i) corrent::wire::encode_have(s, i);
  return s;
}

// Decodes `stream` in reads of `read_size` bytes; returns the number of messages.
std::size_t decode_stream(decoder& d, const std::string& stream, std::size_t read_size) {
  std::size_t messages = 0;
  for (std::size_t at = 0; at < stream.size();) {
    const std::size_t n = std::min(read_size, stream.size() - at);
    std::memcpy(d.prepare(n).data(), stream.data() + at, n);
    d.commit(n);
    at += n;
    for (;;) {
      auto r = d.next();
      if (!r || !*r) break;
      benchmark::DoNotOptimize((*r)->payload.data());
      ++messages;
    }
  }
  return messages;
}

// Arg: bytes per read.
void BM_WireDecodePieces(benchmark::State& state) {
  const std::string stream = piece_stream(256);  // ~4 MiB
  const auto read_size = static_cast<std::size_t>(state.range(0));
  decoder d;
  std::size_t messages = 0;
  for (auto _ : state) messages += decode_stream(d, stream, read_size);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(messages));
}
BENCHMARK(BM_WireDecodePieces)->Arg(1500)->Arg(16 * 1024)->Arg(64 * 1024)->Arg(256 * 1024);

// Small fixed-size messages: the per-message cost of next().
void BM_WireDecodeHaves(benchmark::State& state) {
  const std::string stream = have_stream(8192);
  decoder d;
  std::size_t messages = 0;
  for (auto _ : state) messages += decode_stream(d, stream, 64 * 1024);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(messages));
}
BENCHMARK(BM_WireDecodeHaves);

}  // namespace
