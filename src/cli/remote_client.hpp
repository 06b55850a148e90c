// `corrent remote`'s HTTP client of the daemon's API and the helpers its subcommands share
// (remote_command.cpp: add, list, pause, resume, remove, stats; remote_watch.cpp: watch).
#pragma once

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url.hpp>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/units.hpp"
#include "core/metainfo/magnet.hpp"
#include "core/text/base64.hpp"
#include "core/text/printable.hpp"

namespace corrent::cli::remote {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace urls = boost::urls;
using boost::system::error_code;
using namespace std::chrono_literals;

inline constexpr std::int64_t max_torrent_bytes = 16 << 20;  // the daemon's body limit
inline constexpr auto idle_limit = 45s;  // the daemon sends a keep-alive every 15 s of silence
inline constexpr auto reconnect_for = 30s;
inline constexpr std::size_t max_reply = 64 << 20;

struct remote_options {
  std::string url, state;
  std::string user = "admin", password_file;  // the daemon's --api-password-file
  std::vector<std::string> sources;           // add
  std::string save_path;
  bool paused = false;
  std::string list_state;        // list
  std::vector<std::string> ids;  // pause, resume, remove
  bool delete_data = false;
  bool show_stats = false;  // watch
  std::string until;
};

// What ends the command: printed as `corrent: <message>`, with its exit code.
struct failure {
  int code;
  std::string message;
};

struct reply {
  unsigned status = 0;
  std::string body;
};

inline json::object object_of(const std::string& body) {
  error_code ec;
  auto v = json::parse(body, ec);
  return !ec && v.is_object() ? std::move(v.as_object()) : json::object();
}
inline std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
inline double num(const json::object& o, std::string_view key) {
  error_code ec;
  const auto* v = o.if_contains(key);
  const double d = v ? v->to_number<double>(ec) : 0.0;
  return ec ? 0.0 : d;
}
inline std::int64_t whole(const json::object& o, std::string_view key) {
  return static_cast<std::int64_t>(num(o, key));
}
inline std::string shown(std::string_view s) {
  return text::printable(s);
}
inline std::string short_id(const std::string& id) {
  return id.substr(0, 8);
}

// "<status>: <error>" for an error reply.
inline std::string api_error(const reply& r) {
  std::string what = str(object_of(r.body), "error");
  if (what.empty()) what = std::string(http::obsolete_reason(static_cast<http::status>(r.status)));
  return fmt::format("{}: {}", r.status, shown(what));
}

class client {
 public:
  // A reply being read, little by little (the event stream) or whole.
  struct stream {
    explicit stream(asio::io_context& io) : socket(io) { parser.body_limit(boost::none); }
    beast::tcp_stream socket;
    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
  };

  client(urls::url_view u, std::string text) : url_(std::move(text)) {
    host_ = u.host_address();
    port_ = u.has_port() ? std::string(u.port()) : "80";
    host_header_ = u.encoded_host_and_port();
    base_ = u.path();
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
  }

  asio::io_context& io() { return io_; }
  bool interrupted() const { return interrupted_; }
  // Sends these credentials (HTTP Basic) with every request.
  void set_credentials(const std::string& user, const std::string& password) {
    authorization_ = "Basic " + text::base64_encode(user + ":" + password);
  }

  // From now on SIGINT/SIGTERM cancel what is under way, and interrupted() says so.
  void catch_signals() {
    signals_.emplace(io_, SIGINT, SIGTERM);
    signals_->async_wait([this](error_code ec, int) {
      if (ec) return;
      interrupted_ = true;
      if (active_) active_->cancel();
      timer_.cancel();
    });
  }

  void sleep(std::chrono::milliseconds d) {
    timer_.expires_after(d);
    if (!interrupted_) run([&](auto h) { timer_.async_wait(h); });
  }

  // One request and its whole reply; a failure when the daemon cannot be reached.
  reply call(http::verb verb, const std::string& target, std::string body = {},
             const std::string& type = {}) {
    stream s(io_);
    reply r;
    error_code ec = open(s, verb, target, std::move(body), type);
    while (!ec && r.body.size() <= max_reply) ec = read_some(s, r.body, 120s);
    if (interrupted_) throw failure{exit_failure, "interrupted"};
    if (ec != http::error::end_of_stream)
      throw failure{exit_failure, ec ? unreachable(ec) : url_ + ": the reply is too large"};
    r.status = s.parser.get().result_int();
    return r;
  }

  // A 2xx reply's JSON object; any other status is a failure.
  json::object call_json(http::verb verb, const std::string& target) {
    const reply r = call(verb, target);
    if (r.status / 100 != 2) throw failure{exit_failure, api_error(r)};
    return object_of(r.body);
  }

  // Connects, sends one request (`target` is below the URL's path) and reads the reply's
  // header.
  error_code open(stream& s, http::verb verb, const std::string& target, std::string body = {},
                  const std::string& type = {}, const std::string& last_event_id = {}) {
    error_code ec;
    const auto found = asio::ip::tcp::resolver(io_).resolve(host_, port_, ec);
    s.socket.expires_after(10s);
    if (!ec) ec = run([&](auto h) { s.socket.async_connect(found, h); }, &s.socket);
    if (ec) return ec;
    http::request<http::string_body> req{verb, base_ + target, 11};
    req.set(http::field::host, host_header_);
    req.set(http::field::user_agent, "corrent/" CORRENT_VERSION);
    req.set(http::field::accept,
            target == "/api/v1/events" ? "text/event-stream" : "application/json");
    if (!last_event_id.empty()) req.set("Last-Event-ID", last_event_id);
    if (!authorization_.empty()) req.set(http::field::authorization, authorization_);
    if (!type.empty()) req.set(http::field::content_type, type);
    req.body() = std::move(body);
    req.keep_alive(false);
    req.prepare_payload();
    s.socket.expires_after(30s);
    ec = run([&](auto h) { http::async_write(s.socket, req, h); }, &s.socket);
    if (!ec)
      ec =
          run([&](auto h) { http::async_read_header(s.socket, s.buffer, s.parser, h); }, &s.socket);
    return ec;
  }

  // The next bytes of a reply's body, appended to `out`; end_of_stream once it ended.
  error_code read_some(stream& s, std::string& out, std::chrono::seconds idle = idle_limit) {
    char chunk[16384];
    s.parser.get().body().data = chunk;
    s.parser.get().body().size = sizeof chunk;
    s.socket.expires_after(idle);
    error_code ec =
        run([&](auto h) { http::async_read_some(s.socket, s.buffer, s.parser, h); }, &s.socket);
    if (ec == http::error::need_buffer) ec = {};
    out.append(chunk, sizeof chunk - s.parser.get().body().size);
    return !ec && s.parser.is_done() ? error_code(http::error::end_of_stream) : ec;
  }

  std::string unreachable(error_code ec) const {
    if (ec == beast::error::timeout) return url_ + ": the daemon did not answer in time";
    return fmt::format("cannot reach the daemon at {}: {}", url_, ec.message());
  }

 private:
  // Starts one asynchronous operation (on `s`, which a signal cancels) and runs the
  // io_context until it completes.
  template <class Start>
  error_code run(Start&& start, beast::tcp_stream* s = nullptr) {
    std::optional<error_code> done;
    io_.restart();
    active_ = s;
    start([&done](error_code ec, auto&&...) { done = ec; });
    while (!done && io_.run_one() > 0) {
    }
    active_ = nullptr;
    return done.value_or(asio::error::operation_aborted);
  }

  asio::io_context io_;
  std::string url_, host_, port_, host_header_, base_;
  std::optional<asio::signal_set> signals_;
  asio::steady_timer timer_{io_};
  beast::tcp_stream* active_ = nullptr;
  bool interrupted_ = false;
  std::string authorization_;
};

// The client of --url, else of the URL in STATE/api-url, else of the default.
inline std::unique_ptr<client> make_client(const remote_options& o) {
  std::string text = o.url, where = "--url " + o.url;
  if (text.empty() && !o.state.empty()) {
    where = (std::filesystem::path(o.state) / "api-url").string();
    std::ifstream f(where);
    if (!std::getline(f, text)) throw failure{exit_failure, where + ": cannot read it"};
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  }
  if (text.empty()) text = where = "http://127.0.0.1:9080/";
  auto u = urls::parse_uri(text);
  if (!u) throw failure{exit_bad_input, where + ": not a URL; expected http://HOST:PORT/"};
  if (u->scheme_id() != urls::scheme::http)
    throw failure{exit_bad_input, where +
                                      ": only http:// URLs are supported (the daemon's API "
                                      "is plain HTTP)"};
  if (u->host_address().empty() || u->has_userinfo() || u->has_query() || u->has_fragment())
    throw failure{exit_bad_input, where + ": expected http://HOST:PORT/"};
  auto c = std::make_unique<client>(*u, text);
  if (!o.password_file.empty()) {
    std::ifstream f(o.password_file, std::ios::binary);
    std::string pw;
    if (!f || !std::getline(f, pw)) {
      throw failure{exit_bad_input, "--password-file " + o.password_file + ": cannot read it"};
    }
    if (!pw.empty() && pw.back() == '\r') pw.pop_back();
    c->set_credentials(o.user, pw);
  }
  return c;
}

// `watch`: follows the event stream, reconnecting with Last-Event-ID (remote_watch.cpp).
int do_watch(client& c, const remote_options& o);
// Full ids for what was typed: ids, or unique prefixes of at least 6 hex characters.
std::vector<std::string> resolve_ids(client& c, const std::vector<std::string>& typed);

}  // namespace corrent::cli::remote
