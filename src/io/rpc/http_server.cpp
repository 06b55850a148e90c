#include "io/rpc/http_server.hpp"
#include "io/rpc/json_text.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <chrono>

namespace corrent::io {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto request_timeout = 30s;  // one request, from its first byte (or idle before it)
constexpr auto write_timeout = 30s;    // one response, or one chunk of a stream
constexpr std::size_t header_limit = 16 * 1024;

const char* reason_of(unsigned status) {
  return http::obsolete_reason(static_cast<http::status>(status)).data();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The request as the handler sees it; false when its target is not a well-formed
// origin-form (path and query).
bool convert(const http::request<http::string_body>& msg, http_request& out) {
  out.method = std::string(msg.method_string());
  out.target = std::string(msg.target());
  auto parsed = boost::urls::parse_origin_form(out.target);
  if (!parsed) return false;
  out.path = parsed->path();
  for (const auto& p : parsed->params()) out.query[p.key] = p.has_value ? p.value : "";
  for (const auto& f : msg) out.headers[lower(f.name_string())] = std::string(f.value());
  out.body = msg.body();
  return true;
}

}  // namespace

std::optional<std::map<std::string, std::string>> parse_form(std::string_view body) {
  std::string q(body);
  for (char& c : q) {
    if (c == '+') c = ' ';  // HTML forms write a space as '+'
  }
  // A space is not valid in a query: encode it back for the parser.
  std::string enc = "/?";  // parsed as an origin-form target (the view refers to it)
  enc.reserve(q.size() + 2);
  for (char c : q) enc += c == ' ' ? std::string("%20") : std::string(1, c);
  auto parsed = boost::urls::parse_origin_form(enc);
  if (!parsed) return std::nullopt;
  std::map<std::string, std::string> out;
  for (const auto& p : parsed->params()) {
    if (p.key.empty() && !p.has_value) continue;
    out[p.key] = p.has_value ? p.value : "";
  }
  return out;
}

http_response json_error(unsigned status, const std::string& message) {
  http_response r;
  r.status = status;
  boost::json::object o;
  o["error"] = message;
  r.body = json_text(o);
  return r;
}

http_server::http_server(asio::any_io_executor ex, handler h, limits l)
    : ex_(ex), handler_(std::move(h)), limits_(l), tasks_(ex, "http") {}

http_server::~http_server() = default;

result<void> http_server::listen(const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return error{ec, "API address " + host};
  const tcp::endpoint ep(address, port);
  acceptor_ = std::make_unique<tcp::acceptor>(ex_);
  acceptor_->open(ep.protocol(), ec);
  if (!ec) acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_->bind(ep, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return error{ec, "API address " + host + ":" + std::to_string(port)};
  port_ = acceptor_->local_endpoint(ec).port();
  tasks_.spawn(accept_loop());
  return {};
}

asio::awaitable<void> http_server::stop() {
  stopping_ = true;
  boost::system::error_code ignored;
  if (acceptor_) acceptor_->close(ignored);
  tasks_.cancel();
  co_await tasks_.join();
}

asio::awaitable<void> http_server::accept_loop() {
  asio::steady_timer pause(ex_);
  for (;;) {
    auto [ec, socket] = co_await acceptor_->async_accept(asio::as_tuple(asio::use_awaitable));
    if (stopping_ || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors (or a transient error): do not spin.
      spdlog::warn("API: accept failed: {}", ec.message());
      pause.expires_after(100ms);
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    if (connections_ >= limits_.max_connections && !evict_idle()) {
      // Full: a short answer without waiting for the client, then close.
      static const std::string busy =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
          "Content-Length: 34\r\nConnection: close\r\n\r\n{\"error\":\"too many connections\"}\r\n";
      boost::system::error_code ignored;
      socket.non_blocking(true, ignored);
      socket.write_some(asio::buffer(busy), ignored);
      socket.close(ignored);
      continue;
    }
    tasks_.spawn(serve(std::move(socket)));
  }
}

bool http_server::evict_idle() {
  auto oldest = open_.end();
  for (auto it = open_.begin(); it != open_.end(); ++it) {
    if (it->waiting && it->socket && (oldest == open_.end() || it->since < oldest->since)) {
      oldest = it;
    }
  }
  if (oldest == open_.end()) return false;
  boost::system::error_code ignored;
  oldest->socket->close(ignored);  // its read fails at once and its serve() ends
  oldest->socket = nullptr;
  --connections_;  // counted out now: its coroutine ends on the next turn
  oldest->waiting = false;
  return true;
}

asio::awaitable<void> http_server::serve(tcp::socket socket) {
  ++connections_;
  boost::system::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  const std::string peer = ec ? std::string("?") : remote.address().to_string();
  beast::tcp_stream stream(std::move(socket));
  open_.push_back({&stream.socket(), true, wait_counter_++});
  const auto self = std::prev(open_.end());
  struct count_guard {
    http_server& s;
    std::list<connection>::iterator it;
    ~count_guard() {
      if (it->socket) --s.connections_;  // not already counted out by evict_idle()
      s.open_.erase(it);
    }
  } guard{*this, self};
  beast::flat_buffer buffer;
  auto send_simple = [&](http_response r, unsigned version) -> asio::awaitable<void> {
    http::response<http::string_body> out{static_cast<http::status>(r.status), version};
    out.set(http::field::content_type, r.content_type);
    out.set(http::field::connection, "close");
    out.body() = std::move(r.body);
    out.prepare_payload();
    stream.expires_after(write_timeout);
    co_await http::async_write(stream, out, asio::as_tuple(asio::use_awaitable));
  };
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(header_limit);
    parser.body_limit(limits_.max_body);
    stream.expires_after(request_timeout);
    self->waiting = true;
    self->since = wait_counter_++;
    auto [rec, n] =
        co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (!self->socket) break;  // evicted
    self->waiting = false;
    if (rec == http::error::body_limit) {
      co_await send_simple(
          json_error(413, "request body over " + std::to_string(limits_.max_body) + " bytes"), 11);
      break;
    }
    if (rec == http::error::header_limit) {
      co_await send_simple(json_error(431, "request header too large"), 11);
      break;
    }
    if (rec) {
      // End of stream, timeout, reset: nothing to answer. A malformed request: 400.
      if (rec.category() == make_error_code(http::error::bad_method).category() &&
          rec != http::error::end_of_stream && rec != http::error::partial_message) {
        co_await send_simple(json_error(400, "malformed HTTP request: " + rec.message()), 11);
      }
      break;
    }
    const auto& msg = parser.get();
    http_request req;
    req.peer = peer;
    http_response res;
    if (!convert(msg, req)) {
      res = json_error(400, "malformed request target");
    } else {
      try {
        res = co_await handler_(std::move(req));
      } catch (const boost::system::system_error& e) {
        if (e.code() == asio::error::operation_aborted) throw;  // stopping
        res = json_error(500, std::string("internal error: ") + e.what());
      } catch (const std::exception& e) {
        res = json_error(500, std::string("internal error: ") + e.what());
      }
    }
    if (res.next_chunk) {
      std::string head = "HTTP/1.1 " + std::to_string(res.status) + " " + reason_of(res.status) +
                         "\r\nContent-Type: " + res.content_type +
                         "\r\nCache-Control: no-cache\r\nConnection: close\r\n";
      for (const auto& [k, v] : res.headers) head += k + ": " + v + "\r\n";
      head += "\r\n";
      stream.expires_after(write_timeout);
      auto [hec, hn] = co_await asio::async_write(stream, asio::buffer(head),
                                                  asio::as_tuple(asio::use_awaitable));
      std::string chunk;
      while (!hec && co_await res.next_chunk(chunk)) {
        if (chunk.empty()) continue;
        stream.expires_after(write_timeout);
        auto [cec, cn] = co_await asio::async_write(stream, asio::buffer(chunk),
                                                    asio::as_tuple(asio::use_awaitable));
        if (cec) break;
        chunk.clear();
      }
      break;
    }
    http::response<http::string_body> out{static_cast<http::status>(res.status), msg.version()};
    out.set(http::field::content_type, res.content_type);
    out.set(http::field::cache_control, "no-store");
    for (const auto& [k, v] : res.headers) out.set(k, v);
    out.body() = std::move(res.body);
    out.keep_alive(msg.keep_alive() && !stopping_);
    out.prepare_payload();
    stream.expires_after(write_timeout);
    auto [wec, wn] = co_await http::async_write(stream, out, asio::as_tuple(asio::use_awaitable));
    if (wec || !out.keep_alive()) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace corrent::io
