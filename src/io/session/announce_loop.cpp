// The torrent session's tracker side (BEP 3, 12, 15): one announce loop per tier for the
// life of the torrent — `started` first, then again on the tracker's interval, sooner
// (respecting `min interval`) while few peers are connected, with backoff when a whole
// tier fails; `completed` and `stopped` go to the tracker that last answered in each tier.
// Within a tier the URLs are shuffled once and tried in order; one that answers moves to
// the front. HTTP trackers go through Beast, UDP trackers through udp_tracker_client.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "io/session/torrent_session.hpp"
#include "io/tracker/http_client.hpp"

namespace corrent::io {
namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;
using namespace std::chrono_literals;

namespace {
constexpr int low_peer_count = 5;
constexpr auto low_peer_retry = 15s;  // when the tracker sets no min interval
}  // namespace

tracker::announce_request torrent_session::make_request(tracker::event ev) const {
  tracker::announce_request req;
  req.info_hash = torrent_.info_hash;
  req.peer_id = peer_id_;
  req.port = listen_port_;
  req.uploaded = uploaded_bytes_;
  req.downloaded = downloaded_bytes_;
  req.left = torrent_.total_length - verified_bytes_;
  req.ev = ev;
  req.numwant = ev == tracker::event::stopped ? 0 : opts_.numwant;
  req.key = tracker_key_;
  req.tracker_id = tracker_id_;
  return req;
}

asio::awaitable<result<tracker::announce_response>> torrent_session::announce_to(
    const std::string& url, tracker::announce_request req, std::chrono::milliseconds timeout) {
  if (url.rfind("udp://", 0) == 0) co_return co_await udp_.announce(url, req, timeout);
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    co_return error{make_error_code(boost::system::errc::protocol_not_supported),
                    "only http://, https:// and udp:// trackers are supported"};
  }
  http_limits limits;
  limits.timeout = timeout;
  auto body = co_await http_get(tracker::build_announce_url(url, req), limits);
  if (!body) co_return body.error();
  co_return tracker::parse_announce_response(*body);
}

asio::awaitable<bool> torrent_session::announce_tier(std::size_t index, tracker::event ev,
                                                     std::chrono::milliseconds timeout) {
  auto& tier = tiers_[index];
  const auto req = make_request(ev);
  const auto urls = tier.urls.urls();  // the tier may be reordered while we wait
  for (const auto& url : urls) {
    auto resp = co_await announce_to(url, req, timeout);
    if (!resp) {
      tracker_state_ = url + ": " + resp.error().message();
      if (resp.error().code == boost::system::errc::protocol_not_supported) {
        if (warned_schemes_.insert(url).second)
          spdlog::warn("tracker {}: {}", url, resp.error().message());
      } else {
        spdlog::warn("tracker {}: {}", url, resp.error().message());
      }
      continue;
    }
    if (resp->failure_reason) {
      tracker_state_ = url + ": failure: " + *resp->failure_reason;
      spdlog::warn("tracker {} refused: {}", url, *resp->failure_reason);
      continue;
    }
    if (!resp->warning_message.empty())
      spdlog::warn("tracker {} warns: {}", url, resp->warning_message);
    if (!resp->tracker_id.empty()) tracker_id_ = resp->tracker_id;
    tier.schedule.interval_s =
        static_cast<double>(std::clamp<std::int64_t>(resp->interval, 30, 4 * 3600));
    tier.schedule.min_interval_s =
        resp->min_interval
            ? static_cast<double>(std::clamp<std::int64_t>(*resp->min_interval, 5, 3600))
            : static_cast<double>(low_peer_retry.count());
    tier.last_good = url;
    tier.urls.on_success(url);  // BEP 12: the one that answered goes first
    tracker_state_ = url + ": ok, " + std::to_string(resp->peers.size()) + " peers";
    spdlog::debug("tracker {}: {} peers, interval {} s", url, resp->peers.size(), resp->interval);
    add_peers(resp->peers);
    co_return true;
  }
  co_return false;
}

asio::awaitable<bool> torrent_session::announce_once(tracker::event ev,
                                                     std::chrono::milliseconds timeout) {
  const auto req = make_request(ev);
  bool any = false;
  for (const auto& tier : tiers_) {
    if (tier.last_good.empty()) continue;
    auto resp = co_await announce_to(tier.last_good, req, timeout);
    any = any || (resp && !resp->failure_reason);
  }
  co_return any;
}

asio::awaitable<void> torrent_session::announce_loop() {
  for (const auto& urls : torrent_.trackers)
    tiers_.push_back({tracker::tier(urls, rng_()), {}, {}});
  auto ex = co_await asio::this_coro::executor;
  for (std::size_t i = 0; i < tiers_.size(); ++i) {
    asio::co_spawn(ex, tier_loop(i), [](std::exception_ptr e) {
      if (e) spdlog::error("announce loop ended by an internal error");
    });
  }
}

asio::awaitable<void> torrent_session::tier_loop(std::size_t index) {
  auto ev = tracker::event::started;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stopping_) {
    const bool ok = co_await announce_tier(index, ev, 15s);
    if (ok) ev = tracker::event::none;
    auto& schedule = tiers_[index].schedule;
    schedule.on_round(ok);
    const auto announced_at = std::chrono::steady_clock::now();
    // Check once a second whether the next announce is due (core/tracker/tier.hpp).
    while (!stopping_) {
      int connected = 0;
      for (const auto& [key, p] : peers_) connected += p->handshake_done ? 1 : 0;
      const double since =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - announced_at).count();
      if (schedule.due(since, connected, seeding_, low_peer_count)) break;
      timer.expires_after(1s);
      co_await timer.async_wait(as_tuple(use_awaitable));
    }
  }
}

}  // namespace corrent::io
