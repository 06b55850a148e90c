// A live session's torrents added, paused, resumed and removed again and again while
// peers are connected, then the session shut down: under ASan + UBSan (scripts/test runs
// this binary in the asan build too) no use-after-free, no leak, and no task left running.
// The peer is a second session seeding the same torrent over loopback, its upload capped
// so that downloads stay in flight across the operations.
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "core/metainfo/parse.hpp"
#include "io/create/make_torrent.hpp"
#include "io/session/session.hpp"

#include <spdlog/spdlog.h>

namespace corrent::io {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct fixture {
  fs::path dir;
  std::shared_ptr<const metainfo::torrent> torrent;

  fixture() {
    dir = fs::temp_directory_path() / ("corrent-lifecycle-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "seed");
    std::mt19937 rng(3);
    std::string data(2 << 20, '\0');
    for (auto& c : data) c = static_cast<char>(rng());
    std::ofstream(dir / "seed" / "payload.bin", std::ios::binary) << data;
    make_torrent_options o;
    o.root = dir / "seed" / "payload.bin";
    o.piece_length = 32 << 10;
    o.threads = 1;
    auto made = make_torrent(o);
    EXPECT_TRUE(made);
    auto parsed = metainfo::parse_torrent(made->torrent_bytes);
    EXPECT_TRUE(parsed);
    torrent = std::make_shared<const metainfo::torrent>(std::move(*parsed));
  }
  ~fixture() { fs::remove_all(dir); }
};

std::shared_ptr<const metainfo::info> info_of(const std::shared_ptr<const metainfo::torrent>& t) {
  return {t, t.get()};
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

struct outcome {
  int cycles = 0;
  int cycles_with_peers = 0;
  int cycles_with_data = 0;
  bool done = false;
};

asio::awaitable<void> cycle(session& seeder, session& leecher, const fixture& f, outcome& out) {
  torrent_options seed_opts;
  seed_opts.output_dir = f.dir / "seed";
  seed_opts.seed = true;
  seed_opts.seed_only = true;
  auto s = seeder.add(f.torrent->to_add_params(), info_of(f.torrent), seed_opts);
  EXPECT_TRUE(s);
  const auto peer = net::peer_address::v4(0x7f000001, seeder.listen_port());
  std::mt19937 rng(5);
  for (int i = 0; i < 200; ++i) {
    torrent_options o;
    o.output_dir = f.dir / ("leech" + std::to_string(i % 3));
    o.peers = {peer};
    o.start_paused = i % 7 == 0;
    auto added = leecher.add(f.torrent->to_add_params(), info_of(f.torrent), o);
    EXPECT_TRUE(added) << "cycle " << i;
    const auto ih = f.torrent->info_hash;
    // Now and then long enough for the seeder to unchoke us (a rechoke a second at most)
    // and blocks to flow; otherwise the operations land mid-handshake or mid-request.
    co_await sleep_for(std::chrono::milliseconds(i % 20 == 1 ? 1500 : 5 + rng() % 40));
    if (auto t = leecher.find(ih); t && t->status().peers_connected > 0) ++out.cycles_with_peers;
    if (auto t = leecher.find(ih); t && t->status().downloaded_total > 0) ++out.cycles_with_data;
    co_await leecher.pause(ih);
    const auto st = leecher.find(ih)->state();  // finished: it completed meanwhile
    EXPECT_TRUE(st == torrent_state::paused || st == torrent_state::finished) << "cycle " << i;
    co_await leecher.resume(ih);
    co_await sleep_for(std::chrono::milliseconds(rng() % 30));
    if (i % 5 == 0) {  // removed while it runs, without a pause first
      co_await leecher.remove(ih, i % 2 == 0);
    } else {
      co_await leecher.pause(ih);
      co_await leecher.resume(ih);
      co_await leecher.remove(ih, i % 2 == 0);
    }
    EXPECT_EQ(leecher.find(ih), nullptr);
    if (i % 10 == 0) {
      // A torrent known by its info-hash alone (as a magnet link gives it) waits for its
      // `info`: it can be paused, resumed and removed like any other.
      metainfo::add_params bare;
      bare.info_hash[0] = static_cast<std::uint8_t>(i + 1);
      bare.name = "bare";
      bare.peers = {peer};
      torrent_options bo;
      bo.output_dir = f.dir / "bare";
      auto b = leecher.add(bare, nullptr, bo);
      EXPECT_TRUE(b);
      co_await sleep_for(10ms);
      EXPECT_EQ(leecher.find(bare.info_hash)->state(), torrent_state::fetching_metadata);
      co_await leecher.pause(bare.info_hash);
      EXPECT_EQ(leecher.find(bare.info_hash)->state(), torrent_state::paused);
      co_await leecher.resume(bare.info_hash);
      EXPECT_EQ(leecher.find(bare.info_hash)->state(), torrent_state::fetching_metadata);
      co_await leecher.remove(bare.info_hash, true);
    }
    ++out.cycles;
  }
  co_await leecher.shutdown(false);
  co_await seeder.shutdown(false);
  out.done = true;
}

TEST(SessionLifecycle, TorrentsAddedPausedResumedAndRemovedTwoHundredTimesWithPeers) {
  spdlog::set_level(spdlog::level::warn);
  fixture f;
  asio::io_context ioc(1);
  outcome out;
  {
    session_options so;
    so.listen_host = "127.0.0.1";
    so.listen_port = 0;
    so.max_upload_rate = 2 << 20;  // downloads stay in flight across the operations
    session seeder(ioc.get_executor(), so);
    session leecher(ioc.get_executor(), so);
    ASSERT_TRUE(seeder.open());
    ASSERT_TRUE(leecher.open());
    asio::co_spawn(ioc, cycle(seeder, leecher, f, out), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    ioc.run_for(std::chrono::seconds(240));
    EXPECT_TRUE(out.done) << "the cycles did not finish in time";
    EXPECT_TRUE(ioc.stopped()) << "work left after both sessions shut down";
    EXPECT_EQ(seeder.pending_handshakes(), 0u);
    EXPECT_EQ(leecher.pending_handshakes(), 0u);
    EXPECT_EQ(leecher.disk().budget().open_bytes(), 0);
    EXPECT_EQ(leecher.disk().budget().pending_bytes(), 0);
    EXPECT_EQ(leecher.disk().files().open_count(), 0u);
  }
  EXPECT_EQ(out.cycles, 200);
  EXPECT_GE(out.cycles_with_peers, 10) << "too few cycles had a connected peer to prove much";
  EXPECT_GE(out.cycles_with_data, 3) << "too few cycles had blocks in flight to prove much";
}

}  // namespace
}  // namespace corrent::io
