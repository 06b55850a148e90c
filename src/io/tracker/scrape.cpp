#include "io/tracker/scrape.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/tracker/announce.hpp"
#include "io/net/udp_socket.hpp"
#include "io/tracker/http_client.hpp"
#include "io/tracker/udp_client.hpp"

namespace corrent::io {
namespace asio = boost::asio;

namespace {

asio::awaitable<void> scrape_one(std::string url, crypto::sha1_digest info_hash,
                                 std::chrono::milliseconds timeout, udp_tracker_client& udp,
                                 scrape_report& out) {
  out.url = url;
  result<tracker::scrape_entry> entry =
      error{make_error_code(boost::system::errc::protocol_not_supported), "not scraped"};
  if (url.rfind("udp://", 0) == 0) {
    entry = co_await udp.scrape(url, info_hash, timeout);
  } else if (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0) {
    auto scrape = tracker::scrape_url(url, info_hash);
    if (!scrape) {
      out.error = "this tracker has no scrape URL (BEP 48)";
      co_return;
    }
    http_limits limits;
    limits.timeout = timeout;
    auto body = co_await http_get(*scrape, limits);
    if (!body) {
      out.error = body.error().message();
      co_return;
    }
    entry = tracker::parse_scrape_response(*body, info_hash);
  } else {
    out.error = "only http://, https:// and udp:// trackers are supported";
    co_return;
  }
  if (!entry) {
    out.error = entry.error().message();
    co_return;
  }
  out.ok = true;
  out.seeders = entry->complete;
  out.leechers = entry->incomplete;
  out.completed = entry->downloaded;
}

}  // namespace

std::vector<scrape_report> scrape_trackers(const metainfo::torrent& t,
                                           std::chrono::milliseconds timeout) {
  std::vector<std::string> urls;
  for (const auto& tier : t.trackers) urls.insert(urls.end(), tier.begin(), tier.end());
  std::vector<scrape_report> out(urls.size());
  asio::io_context ioc(1);
  // One UDP socket per address family for every UDP tracker, as a session has.
  udp_socket v4(ioc.get_executor()), v6(ioc.get_executor());
  (void)v4.open(asio::ip::udp::endpoint(asio::ip::udp::v4(), 0));
  (void)v6.open(asio::ip::udp::endpoint(asio::ip::udp::v6(), 0));
  udp_tracker_client udp(ioc.get_executor(), v4.is_open() ? &v4 : nullptr,
                         v6.is_open() ? &v6 : nullptr);
  for (auto* s : {&v4, &v6}) {
    if (s->is_open()) asio::co_spawn(ioc, s->receive_loop(), asio::detached);
  }
  std::size_t left = urls.size();
  auto done = [&](std::exception_ptr) {
    if (--left == 0) {
      v4.close();
      v6.close();
    }
  };
  for (std::size_t i = 0; i < urls.size(); ++i) {
    asio::co_spawn(ioc, scrape_one(urls[i], t.info_hash, timeout, udp, out[i]), done);
  }
  if (urls.empty()) {
    v4.close();
    v6.close();
  }
  ioc.run();
  return out;
}

}  // namespace corrent::io
