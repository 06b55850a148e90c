#include "io/tracker/http_client.hpp"

#include "io/net/resolve.hpp"
#include "io/tracker/gzip.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

namespace corrent::io {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

error http_error(std::string detail) {
  return error{make_error_code(boost::system::errc::protocol_error), std::move(detail)};
}

error net_error(const boost::system::error_code& ec, const std::string& what) {
  return error{ec, what};
}

// Writes the request and reads the reply (within the stream's deadline).
template <class Stream>
asio::awaitable<boost::system::error_code> exchange(
    Stream& stream, const http::request<http::empty_body>& req, beast::flat_buffer& buffer,
    http::response_parser<http::string_body>& parser) {
  auto [wec, wn] = co_await http::async_write(stream, req, asio::as_tuple(asio::use_awaitable));
  if (wec) co_return wec;
  auto [rec, rn] =
      co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
  co_return rec;
}

}  // namespace

asio::awaitable<result<std::string>> http_get(std::string url, http_limits limits) {
  auto ex = co_await asio::this_coro::executor;
  const auto deadline = std::chrono::steady_clock::now() + limits.timeout;
  for (int hop = 0; hop <= limits.max_redirects; ++hop) {
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) co_return http_error("bad URL " + url);
    const boost::urls::url u(*parsed);
    const bool tls = u.scheme_id() == boost::urls::scheme::https;
    if (u.scheme_id() != boost::urls::scheme::http && !tls) {
      co_return http_error("only http://, https:// and udp:// trackers are supported: " + url);
    }
    const std::string host = u.encoded_host_address().decode();
    const std::string port = u.has_port() ? std::string(u.port()) : (tls ? "443" : "80");
    std::string target = std::string(u.encoded_path());
    if (target.empty()) target = "/";
    if (u.has_query()) target += "?" + std::string(u.encoded_query());

    asio::ip::tcp::resolver resolver(ex);
    auto [rec, endpoints] = co_await resolve_within(resolver, host, port, deadline);
    if (rec) co_return net_error(rec, "resolving " + host);

    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, u.has_port() ? host + ":" + port : host);
    req.set(http::field::user_agent, "corrent/0.1");
    req.set(http::field::connection, "close");
    req.set(http::field::accept_encoding, "gzip");
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(limits.max_body);
    parser.header_limit(16 * 1024);

    boost::system::error_code rdec;
    if (tls) {
      // Certificates are verified against the system's trust store, for this host name.
      asio::ssl::context ctx(asio::ssl::context::tls_client);
      ctx.set_default_verify_paths();
      ctx.set_verify_mode(asio::ssl::verify_peer);
      beast::ssl_stream<beast::tcp_stream> stream(ex, ctx);
      if (!SSL_set_tlsext_host_name(stream.native_handle(), host.c_str())) {
        co_return http_error("cannot set TLS server name " + host);
      }
      stream.set_verify_callback(asio::ssl::host_name_verification(host));
      beast::get_lowest_layer(stream).expires_at(deadline);
      auto [cec, ep] = co_await beast::get_lowest_layer(stream).async_connect(
          endpoints, asio::as_tuple(asio::use_awaitable));
      if (cec) co_return net_error(cec, "connecting to " + host + ":" + port);
      auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client,
                                                   asio::as_tuple(asio::use_awaitable));
      if (hec) co_return net_error(hec, "TLS handshake with " + host);
      rdec = co_await exchange(stream, req, buffer, parser);
      // Many servers close TLS without close_notify; a reply that is complete (or ends at
      // EOF by its framing) is still good.
      if (rdec == asio::ssl::error::stream_truncated) {
        beast::error_code eof_ec;
        if (!parser.is_done() && parser.need_eof()) parser.put_eof(eof_ec);
        if (parser.is_done() && !eof_ec) rdec = {};
      }
    } else {
      beast::tcp_stream stream(ex);
      stream.expires_at(deadline);
      auto [cec, ep] =
          co_await stream.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
      if (cec) co_return net_error(cec, "connecting to " + host + ":" + port);
      rdec = co_await exchange(stream, req, buffer, parser);
      beast::error_code ignored;
      stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    }
    if (rdec == http::error::body_limit) {
      co_return http_error("reply body larger than " + std::to_string(limits.max_body) + " bytes");
    }
    if (rdec) co_return net_error(rdec, "reading reply from " + host);
    auto res = parser.release();
    const unsigned status = res.result_int();
    if (status >= 300 && status < 400) {
      auto loc = res[http::field::location];
      if (loc.empty()) co_return http_error("redirect without Location");
      if (limits.magnet_redirect && loc.size() > 7 && beast::iequals(loc.substr(0, 7), "magnet:")) {
        co_return std::string(loc);
      }
      auto next = boost::urls::parse_uri_reference(loc);
      if (!next) co_return http_error("bad redirect Location");
      boost::urls::url resolved;
      if (auto r = boost::urls::resolve(u, *next, resolved); !r)
        co_return http_error("bad redirect");
      url = std::string(resolved.buffer());
      continue;
    }
    if (status != 200) co_return http_error("HTTP status " + std::to_string(status));
    if (beast::iequals(res[http::field::content_encoding], "gzip")) {
      co_return gunzip(res.body(), limits.max_body);
    }
    co_return std::move(res.body());
  }
  co_return http_error("more than " + std::to_string(limits.max_redirects) + " redirects");
}

}  // namespace corrent::io
