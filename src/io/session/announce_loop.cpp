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
  const auto urls = tier.urls;  // the tier may be reordered while we wait
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
    tier.interval = std::chrono::seconds(std::clamp<std::int64_t>(resp->interval, 30, 4 * 3600));
    tier.min_interval =
        resp->min_interval
            ? std::chrono::seconds(std::clamp<std::int64_t>(*resp->min_interval, 5, 3600))
            : std::chrono::seconds(low_peer_retry);
    tier.last_good = url;
    if (auto it = std::find(tier.urls.begin(), tier.urls.end(), url); it != tier.urls.end()) {
      std::rotate(tier.urls.begin(), it, it + 1);  // BEP 12: the one that answered goes first
    }
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
  for (const auto& urls : torrent_.trackers) {
    tier_state tier;
    tier.urls = urls;
    std::shuffle(tier.urls.begin(), tier.urls.end(), rng_);
    tiers_.push_back(std::move(tier));
  }
  auto ex = co_await asio::this_coro::executor;
  for (std::size_t i = 0; i < tiers_.size(); ++i) {
    asio::co_spawn(ex, tier_loop(i), [](std::exception_ptr e) {
      if (e) spdlog::error("announce loop ended by an internal error");
    });
  }
}

asio::awaitable<void> torrent_session::tier_loop(std::size_t index) {
  auto ev = tracker::event::started;
  auto backoff = 15s;
  std::chrono::seconds wait{0};
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stopping_) {
    const bool ok = co_await announce_tier(index, ev, 15s);
    const auto announced_at = std::chrono::steady_clock::now();
    if (ok) {
      ev = tracker::event::none;
      backoff = 15s;
      wait = tiers_[index].interval;
    } else {
      wait = backoff;
      backoff = std::min<std::chrono::seconds>(backoff * 2, 300s);
    }
    // Sleep until the interval is over, checking once a second whether we ran low on
    // peers (then re-announce as soon as `min interval` allows).
    while (!stopping_) {
      const auto now = std::chrono::steady_clock::now();
      if (now - announced_at >= wait) break;
      int connected = 0;
      for (const auto& [key, p] : peers_) connected += p->handshake_done ? 1 : 0;
      if (ok && !seeding_ && connected < low_peer_count &&
          now - announced_at >= tiers_[index].min_interval) {
        break;
      }
      timer.expires_after(1s);
      co_await timer.async_wait(as_tuple(use_awaitable));
    }
  }
}

}  // namespace corrent::io
