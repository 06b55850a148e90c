// The torrent session's tracker side: announce on start, re-announce on the tracker's
// interval for the whole life of the download (sooner, respecting `min interval`, while
// few peers are connected), `completed` and `stopped` at the end. Tiers are tried in
// order (BEP 12); a tracker that answers is remembered for the final announces.
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
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

asio::awaitable<bool> torrent_session::announce_once(tracker::event ev,
                                                     std::chrono::milliseconds timeout) {
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
  const bool final_event = ev == tracker::event::stopped || ev == tracker::event::completed;

  std::vector<std::string> urls;
  if (final_event) {
    if (last_good_tracker_.empty()) co_return false;
    urls.push_back(last_good_tracker_);
  } else {
    for (const auto& tier : torrent_.trackers) urls.insert(urls.end(), tier.begin(), tier.end());
  }
  for (const auto& url : urls) {
    if (url.rfind("http://", 0) != 0) {
      if (warned_schemes_.insert(url).second) {
        spdlog::warn("tracker {}: only http:// trackers are supported yet, skipped", url);
      }
      continue;
    }
    http_limits limits;
    limits.timeout = timeout;
    auto body = co_await http_get(tracker::build_announce_url(url, req), limits);
    if (!body) {
      tracker_state_ = url + ": " + body.error().message();
      spdlog::warn("tracker {}: {}", url, body.error().message());
      continue;
    }
    auto resp = tracker::parse_announce_response(*body);
    if (!resp) {
      tracker_state_ = url + ": " + resp.error().message();
      spdlog::warn("tracker {}: bad reply: {}", url, resp.error().message());
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
    announce_interval_ =
        std::chrono::seconds(std::clamp<std::int64_t>(resp->interval, 30, 3600 * 4));
    announce_min_interval_ =
        resp->min_interval
            ? std::chrono::seconds(std::clamp<std::int64_t>(*resp->min_interval, 5, 3600))
            : std::chrono::seconds(low_peer_retry);
    last_good_tracker_ = url;
    tracker_state_ = url + ": ok, " + std::to_string(resp->peers.size()) + " peers";
    spdlog::debug("tracker {}: {} peers, interval {} s", url, resp->peers.size(), resp->interval);
    if (!final_event) add_peers(resp->peers);
    co_return true;
  }
  co_return false;
}

asio::awaitable<void> torrent_session::announce_loop() {
  if (torrent_.trackers.empty()) co_return;
  auto ev = tracker::event::started;
  auto backoff = 15s;
  std::chrono::seconds wait{0};
  while (!stopping_) {
    const bool ok = co_await announce_once(ev, 15s);
    const auto announced_at = std::chrono::steady_clock::now();
    if (ok) {
      ev = tracker::event::none;
      backoff = 15s;
      wait = announce_interval_;
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
      if (ok && connected < low_peer_count && now - announced_at >= announce_min_interval_) break;
      wake_announce_.expires_after(1s);
      co_await wake_announce_.async_wait(as_tuple(use_awaitable));
    }
  }
}

}  // namespace corrent::io
