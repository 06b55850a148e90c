// Resume-state encoding and decoding for a 1,000,000-piece, 2,000-file torrent: what a
// checkpoint costs the disk thread every two seconds.
#include <benchmark/benchmark.h>

#include "core/bencode/encode.hpp"
#include "core/metainfo/parse.hpp"
#include "core/resume/resume_state.hpp"

namespace {

const corrent::metainfo::torrent& big_torrent() {
  static const corrent::metainfo::torrent t = [] {
    std::string files;
    corrent::bencode::writer fw(files);
    const std::int64_t pieces = 1'000'000, piece_length = 16384;
    const std::int64_t total = pieces * piece_length, per_file = total / 2000;
    fw.begin_list();
    for (int i = 0; i < 2000; ++i) {
      fw.begin_dict().key("length").integer(per_file).key("path").begin_list();
      fw.string("f" + std::to_string(i)).end().end();
    }
    fw.end();
    std::string out;
    corrent::bencode::writer w(out);
    w.begin_dict().key("info").begin_dict().key("files").raw(files).key("name").string("big");
    w.key("piece length").integer(piece_length);
    w.key("pieces").string(std::string(static_cast<std::size_t>(pieces) * 20, 'x'));
    w.end().end();
    return *corrent::metainfo::parse_torrent(out);
  }();
  return t;
}

corrent::resume::resume_state make_state() {
  const auto& t = big_torrent();
  corrent::resume::resume_state s;
  s.info_hash = t.info_hash;
  s.verified = corrent::swarm::bitfield(static_cast<std::size_t>(t.num_pieces()));
  for (std::size_t i = 0; i < s.verified.size(); i += 3) s.verified.set(i);
  s.files.assign(t.files.size(), {123456789, 1'700'000'000'000'000'000});
  return s;
}

void BM_ResumeEncode(benchmark::State& state) {
  const auto s = make_state();
  for (auto _ : state) benchmark::DoNotOptimize(corrent::resume::encode_resume(s));
}
BENCHMARK(BM_ResumeEncode)->Unit(benchmark::kMicrosecond);

void BM_ResumeDecode(benchmark::State& state) {
  const auto bytes = corrent::resume::encode_resume(make_state());
  for (auto _ : state)
    benchmark::DoNotOptimize(corrent::resume::decode_resume(bytes, big_torrent()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_ResumeDecode)->Unit(benchmark::kMicrosecond);

}  // namespace
