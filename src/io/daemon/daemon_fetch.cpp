// daemon_api::fetch_url — add by URL: the .torrent behind an http(s) link (what Sonarr's
// and Prowlarr's indexers hand out, qBittorrent's `urls`, Transmission's `filename`),
// fetched with the tracker client's bounds: one overall timeout, a body no bigger than a
// .torrent the API takes, at most five redirects, and a redirect to a magnet link followed.
#include <spdlog/spdlog.h>

#include <boost/beast/core/string.hpp>

#include "core/metainfo/magnet.hpp"
#include "core/text/printable.hpp"
#include "io/daemon/api_json.hpp"
#include "io/daemon/daemon_api.hpp"
#include "io/tracker/http_client.hpp"

namespace corrent::io {
namespace asio = boost::asio;

bool daemon_api::is_web_url(std::string_view s) {
  auto starts = [&](std::string_view scheme) {
    return s.size() > scheme.size() && boost::beast::iequals(s.substr(0, scheme.size()), scheme);
  };
  return starts("http://") || starts("https://");
}

asio::awaitable<daemon_api::fetch_outcome> daemon_api::fetch_url(std::string url) {
  fetch_outcome out;
  const std::string shown = text::printable(url.substr(0, 200));
  if (!is_web_url(url)) {
    out.status = 400;
    out.error = "not an http:// or https:// URL: " + shown;
    co_return out;
  }
  if (fetches_ >= max_fetches) {
    out.status = 503;
    out.error = "too many URLs being fetched at once; try again later";
    co_return out;
  }
  ++fetches_;
  struct count_down {
    int& n;
    ~count_down() { --n; }
  } done{fetches_};
  http_limits limits;
  limits.timeout = std::chrono::seconds(30);
  limits.max_body = max_torrent_bytes;
  limits.magnet_redirect = true;
  auto body = co_await http_get(url, limits);
  if (!body) {
    out.status = 400;
    out.error = "cannot fetch " + shown + ": " + body.error().message();
    spdlog::info("add by URL: {}", out.error);
    co_return out;
  }
  out.kind = metainfo::is_magnet(*body) ? "magnet" : "torrent";
  out.payload = std::move(*body);
  spdlog::info("add by URL: fetched {} ({} bytes, {})", shown, out.payload.size(), out.kind);
  co_return out;
}

}  // namespace corrent::io
