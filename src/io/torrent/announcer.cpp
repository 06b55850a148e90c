// io::torrent, the tracker side (BEP 3, 12, 15): the logic says when a tier announces
// (core/torrent/schedule.cpp); this carries it out. Within a tier the URLs are tried in
// the logic's order; the first that answers ends the round. HTTP trackers go through
// Beast, UDP trackers through the session's udp_tracker_client. `completed` and `stopped`
// go to the tracker that last answered in each tier.
#include <spdlog/spdlog.h>

#include "core/text/printable.hpp"
#include "io/torrent/torrent.hpp"
#include "io/tracker/http_client.hpp"
#include "io/tracker/udp_client.hpp"

namespace corrent::io {
namespace asio = boost::asio;
using namespace std::chrono_literals;

tracker::announce_request torrent::make_request(tracker::event ev) const {
  tracker::announce_request req;
  req.info_hash = info_hash();
  req.peer_id = host_.peer_id();
  req.port = host_.listen_port();
  if (logic_) {
    req.uploaded = logic_->uploaded_bytes();
    req.downloaded = logic_->downloaded_bytes();
    req.left = logic_->left_bytes();
  }
  req.ev = ev;
  req.numwant = ev == tracker::event::stopped ? 0 : host_.options().numwant;
  req.key = host_.tracker_key();
  req.tracker_id = tracker_id_;
  return req;
}

asio::awaitable<result<tracker::announce_response>> torrent::announce_to(
    std::string url, tracker::announce_request req, std::chrono::milliseconds timeout) {
  if (url.rfind("udp://", 0) == 0)
    co_return co_await host_.udp_trackers().announce(url, req, timeout);
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

asio::awaitable<void> torrent::announce_tier(std::size_t tier, tracker::event ev) {
  const auto req = make_request(ev);
  const auto urls = logic_->tier_urls(tier);  // the tier may be reordered while we wait
  for (const auto& url : urls) {
    auto resp = co_await announce_to(url, req, 15s);
    if (!logic_) co_return;
    if (!resp) {
      ++announces_failed_;
      tracker_state_ = text::printable(url + ": " + resp.error().message());
      tracker_problem(
          url, "tracker " + text::printable(url) + ": " + text::printable(resp.error().message()));
      continue;
    }
    if (resp->failure_reason) {
      ++announces_refused_;
      tracker_state_ = text::printable(url + ": failure: " + *resp->failure_reason);
      tracker_problem(url, "tracker " + text::printable(url) +
                               " refused: " + text::printable(*resp->failure_reason));
      continue;
    }
    if (!resp->warning_message.empty())
      spdlog::warn("tracker {} warns: {}", text::printable(url),
                   text::printable(resp->warning_message));
    if (!resp->tracker_id.empty()) tracker_id_ = resp->tracker_id;
    ++announces_ok_;
    tracker_state_ =
        text::printable(url) + ": ok, " + std::to_string(resp->peers.size()) + " peers";
    spdlog::debug("tracker {}: {} peers, interval {} s", text::printable(url), resp->peers.size(),
                  resp->interval);
    logic_->on_announced(tier, &url, &*resp, host_.now());
    process();
    co_return;
  }
  logic_->on_announced(tier, nullptr, nullptr, host_.now());
  process();
}

// A tracker's problem is a warning the first time, and only for the first few trackers of
// the torrent; after that (a torrent may list hundreds of dead ones, retried for hours)
// it is logged at debug level, with one line to say so.
void torrent::tracker_problem(const std::string& url, const std::string& line) {
  constexpr std::size_t max_warned = 16;
  if (warned_urls_.size() < max_warned && warned_urls_.insert(url).second) {
    spdlog::warn("{}", line);
    return;
  }
  if (!warned_urls_.count(url) && !tracker_warnings_capped_) {
    tracker_warnings_capped_ = true;
    spdlog::warn("{}: more trackers fail; their errors are logged with --verbose",
                 text::printable(name()));
  }
  spdlog::debug("{}", line);
}

asio::awaitable<void> torrent::announce_once(tracker::event ev, std::chrono::milliseconds timeout) {
  if (!logic_) co_return;
  const auto req = make_request(ev);
  std::vector<std::string> urls;
  for (std::size_t i = 0; i < logic_->tier_count(); ++i) {
    if (!logic_->tier_last_good(i).empty()) urls.push_back(logic_->tier_last_good(i));
  }
  task_group group(host_.executor(), "final announces");
  for (auto& url : urls) group.spawn(announce_and_forget(std::move(url), req, timeout));
  co_await group.join();
}

asio::awaitable<void> torrent::announce_and_forget(std::string url, tracker::announce_request req,
                                                   std::chrono::milliseconds timeout) {
  auto r = co_await announce_to(url, std::move(req), timeout);
  if (!r)
    spdlog::debug("tracker {}: {}", text::printable(url), text::printable(r.error().message()));
}

}  // namespace corrent::io
