// `corrent remote [--url URL | --state DIR] COMMAND`: a command-line client of a running
// `corrent daemon`'s HTTP API (docs/DAEMON.md): add, list, pause, resume, remove, stats, and
// watch (the Server-Sent Events stream, reconnecting with Last-Event-ID).
//
// One connection per request, each step an asynchronous Beast operation run to its end on a
// local io_context (tcp_stream applies its timeouts to asynchronous operations only), so
// that nothing waits forever and SIGINT/SIGTERM can cancel a `watch`.
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

namespace corrent::cli {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace urls = boost::urls;
using boost::system::error_code;
using namespace std::chrono_literals;

constexpr std::int64_t max_torrent_bytes = 16 << 20;  // the daemon's body limit
constexpr auto idle_limit = 45s;  // the daemon sends a keep-alive every 15 s of silence
constexpr auto reconnect_for = 30s;
constexpr std::size_t max_reply = 64 << 20;

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

json::object object_of(const std::string& body) {
  error_code ec;
  auto v = json::parse(body, ec);
  return !ec && v.is_object() ? std::move(v.as_object()) : json::object();
}
std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
double num(const json::object& o, std::string_view key) {
  error_code ec;
  const auto* v = o.if_contains(key);
  const double d = v ? v->to_number<double>(ec) : 0.0;
  return ec ? 0.0 : d;
}
std::int64_t whole(const json::object& o, std::string_view key) {
  return static_cast<std::int64_t>(num(o, key));
}
std::string shown(std::string_view s) {
  return text::printable(s);
}
std::string short_id(const std::string& id) {
  return id.substr(0, 8);
}

// "<status>: <error>" for an error reply.
std::string api_error(const reply& r) {
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
std::unique_ptr<client> make_client(const remote_options& o) {
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

std::vector<json::object> torrents(client& c, const std::string& target) {
  std::vector<json::object> all;
  const auto o = c.call_json(http::verb::get, target);
  if (const auto* a = o.if_contains("torrents"); a && a->is_array()) {
    for (const auto& t : a->as_array())
      if (t.is_object()) all.push_back(t.as_object());
  }
  return all;
}

// Full ids for what was typed: ids, or unique prefixes of at least 6 hex characters.
std::vector<std::string> resolve_ids(client& c, const std::vector<std::string>& typed) {
  std::vector<std::string> out;
  std::optional<std::vector<json::object>> all;
  for (const auto& text : typed) {
    std::string id = text;
    for (char& ch : id) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (id.size() < 6 || id.size() > 40 || id.find_first_not_of("0123456789abcdef") != id.npos)
      throw failure{exit_bad_input, shown(text) +
                                        ": expected a torrent id (40 hex characters) "
                                        "or its first 6 or more"};
    if (id.size() < 40) {
      if (!all) all = torrents(c, "/api/v1/torrents?fields=id");
      std::vector<std::string> hits;
      for (const auto& t : *all)
        if (str(t, "id").starts_with(id)) hits.push_back(str(t, "id"));
      if (hits.size() != 1)
        throw failure{exit_failure,
                      hits.empty() ? "no torrent's id starts with " + id
                                   : fmt::format("{} is ambiguous: {} torrents' ids start with it",
                                                 id, hits.size())};
      id = hits[0];
    }
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
  return out;
}

int do_add(client& c, const remote_options& o) {
  struct item {
    std::string label, target, type, body;
  };
  std::vector<item> items;  // every file is read before anything is sent
  for (const auto& arg : o.sources) {
    const std::string label = shown(arg.size() > 60 ? arg.substr(0, 57) + "..." : arg);
    if (metainfo::is_magnet(arg)) {
      json::object j{{"uri", arg}};
      if (!o.save_path.empty()) j["save_path"] = o.save_path;
      if (o.paused) j["paused"] = true;
      items.push_back({label, "/api/v1/torrents", "application/json", json::serialize(j)});
      continue;
    }
    std::error_code ec;
    const auto size = std::filesystem::file_size(arg, ec);
    if (ec) throw failure{exit_bad_input, label + ": " + ec.message()};
    if (size > static_cast<std::uintmax_t>(max_torrent_bytes))
      throw failure{exit_bad_input, label + ": over the API's limit of 16 MiB"};
    std::ifstream f(arg, std::ios::binary);
    std::ostringstream bytes;
    bytes << f.rdbuf();
    if (!f) throw failure{exit_bad_input, label + ": cannot read it"};
    // Every byte but the unreserved ones escaped: `+` would read as a space.
    std::string target = "/api/v1/torrents?paused=" + std::string(o.paused ? "true" : "false");
    if (!o.save_path.empty())
      target += "&save_path=" + urls::encode(o.save_path, urls::unreserved_chars);
    items.push_back({label, target, "application/x-bittorrent", bytes.str()});
  }
  int code = exit_ok;
  for (auto& it : items) {
    const reply r = c.call(http::verb::post, it.target, std::move(it.body), it.type);
    const auto t = object_of(r.body);
    if (r.status == 201) {
      fmt::print("{}  {}\n", str(t, "id"), shown(str(t, "name")));
      continue;
    }
    code = exit_failure;
    if (r.status == 409)
      fmt::print(stderr, "corrent: {}: already there (id {})\n", it.label, str(t, "id"));
    else
      fmt::print(stderr, "corrent: {}: {}\n", it.label, api_error(r));
  }
  return code;
}

int do_list(client& c, const remote_options& o) {
  const auto all = torrents(
      c, o.list_state.empty() ? "/api/v1/torrents" : "/api/v1/torrents?state=" + o.list_state);
  if (all.empty()) {
    fmt::print("no torrents{}\n", o.list_state.empty() ? "" : " in state " + o.list_state);
    return exit_ok;
  }
  static constexpr auto row = "{:<8}  {:<17}  {:>6}  {:>11}  {:>10}  {:>10}  {:>5}  {}\n";
  fmt::print(row, "ID", "STATE", "DONE", "SIZE", "DOWN", "UP", "PEERS", "NAME");
  for (const auto& t : all) {
    std::string name = shown(str(t, "name"));
    if (!str(t, "error").empty()) name += "  (" + shown(str(t, "error")) + ")";
    fmt::print(row, short_id(str(t, "id")), str(t, "state"),
               fmt::format("{:.1f}%", 100 * num(t, "progress")),
               whole(t, "size") > 0 ? human_size(whole(t, "size")) : "?",
               human_rate(num(t, "down_rate")), human_rate(num(t, "up_rate")), whole(t, "peers"),
               name);
  }
  return exit_ok;
}

int do_each(client& c, const remote_options& o, const std::string& action) {
  int code = exit_ok;
  for (const auto& id : resolve_ids(c, o.ids)) {
    const std::string at = "/api/v1/torrents/" + id;
    const reply r = action == "remove" ? c.call(http::verb::delete_,
                                                at + (o.delete_data ? "?delete_data=true" : ""))
                                       : c.call(http::verb::post, at + "/" + action);
    const auto t = object_of(r.body);
    if (r.status != 200) {
      fmt::print(stderr, "corrent: {}\n", api_error(r));
      code = exit_failure;
    } else if (action == "remove") {
      fmt::print("removed {}{}\n", id, o.delete_data ? " and its data" : "");
    } else {
      fmt::print("{} {}  {}  ({})\n", action == "pause" ? "paused" : "resumed", short_id(id),
                 shown(str(t, "name")), str(t, "state"));
    }
  }
  return code;
}

int do_stats(client& c) {
  const auto s = c.call_json(http::verb::get, "/api/v1/stats");
  const auto dht = whole(s, "dht_nodes");
  fmt::print(
      "torrents    {}\ndown        {}\nup          {}\ndownloaded  {}\nuploaded    {}\n"
      "peers       {}\ndht nodes   {}\n",
      whole(s, "torrents"), human_rate(num(s, "down_rate")), human_rate(num(s, "up_rate")),
      human_size(whole(s, "downloaded")), human_size(whole(s, "uploaded")), whole(s, "peers"),
      dht >= 0 ? std::to_string(dht) : "off");
  return exit_ok;
}

// Server-Sent Events out of a stream's bytes, as they come.
struct sse_parser {
  struct event {
    std::string type, data;
  };
  std::string last_id;
  std::chrono::milliseconds retry = 2000ms;
  std::string pending, type, data;
  bool has_data = false;

  void restart() { pending.clear(), type.clear(), data.clear(), has_data = false; }

  // Calls on_event for each whole event until it returns true.
  template <class F>
  void feed(std::string_view bytes, F&& on_event) {
    pending += bytes;
    for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) {  // the end of an event
        event e{type.empty() ? "message" : type, data};
        const bool any = std::exchange(has_data, false);
        type.clear(), data.clear();
        if (any && on_event(e)) return;
        continue;
      }
      const auto colon = line.find(':');
      if (colon == 0) continue;  // a comment: the keep-alive
      const std::string field = line.substr(0, colon);
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
      if (field == "id") last_id = value;
      if (field == "event") type = value;
      if (field == "data") data += (std::exchange(has_data, true) ? "\n" : "") + value;
      if (field == "retry" && !value.empty() && value.size() < 7 &&
          value.find_first_not_of("0123456789") == std::string::npos)
        retry = std::clamp(std::chrono::milliseconds(std::stoi(value)), 100ms, 10000ms);
    }
  }
};

// One line for an event; empty: not shown.
std::string event_line(const std::string& type, const json::object& d, bool show_stats) {
  const std::string head = fmt::format("{:<9}  {}", shown(type), short_id(str(d, "id")));
  if (type == "added" || type == "completed") return head + "  " + shown(str(d, "name"));
  if (type == "state") return fmt::format("{}  {} -> {}", head, str(d, "from"), str(d, "to"));
  if (type == "removed") return head;
  if (type == "error") return head + "  " + shown(str(d, "error"));
  if (type == "metadata")
    return fmt::format("{}  {} ({})", head, shown(str(d, "name")), human_size(whole(d, "size")));
  if (type == "resync") return "resync     events were missed; `corrent remote list` is current";
  if (type != "stats") return head + "  " + shown(json::serialize(d));
  if (!show_stats) return {};
  std::string line = "stats     ";
  if (const auto* a = d.if_contains("torrents"); a && a->is_array()) {
    for (const auto& v : a->as_array()) {
      if (!v.is_object()) continue;
      const auto& t = v.as_object();
      line += fmt::format("{} {} {:.1f}% down {} up {} peers {}", line.size() > 10 ? ";" : "",
                          short_id(str(t, "id")), 100 * num(t, "progress"),
                          human_rate(num(t, "down_rate")), human_rate(num(t, "up_rate")),
                          whole(t, "peers"));
    }
  }
  return line;
}

// Whether torrent `id` has every piece; a failure when the daemon no longer runs it.
bool is_complete(client& c, const std::string& id) {
  const auto t = c.call_json(http::verb::get, "/api/v1/torrents/" + id);
  const std::string state = str(t, "state");
  return whole(t, "size") > 0 && whole(t, "done") >= whole(t, "size") &&
         (state == "seeding" || state == "finished" || state == "paused");
}

int do_watch(client& c, const remote_options& o) {
  const std::string until = o.until.empty() ? "" : resolve_ids(c, {o.until})[0];
  c.catch_signals();
  auto stop = [&] {
    if (until.empty()) return static_cast<int>(exit_ok);
    fmt::print(stderr, "corrent: interrupted before {} completed\n", short_id(until));
    return static_cast<int>(exit_failure);
  };
  auto print = [](const std::string& line) {
    fmt::print("{:%H:%M:%S} {}\n", fmt::localtime(std::time(nullptr)), line);
    std::fflush(stdout);
  };
  // -1: go on; else the exit code.
  auto on_event = [&](const sse_parser::event& e) {
    const auto d = object_of(e.data);
    if (const auto line = event_line(e.type, d, o.show_stats); !line.empty()) print(line);
    if (until.empty() || (str(d, "id") != until && e.type != "resync")) return -1;
    if (e.type == "completed") return static_cast<int>(exit_ok);
    if (e.type == "removed" || e.type == "error") {
      fmt::print(stderr, "corrent: {} {} before it completed\n", short_id(until),
                 e.type == "removed" ? "was removed" : "failed");
      return static_cast<int>(exit_failure);
    }
    // `completed` follows downloading -> seeding; a torrent found complete by its check
    // goes checking -> seeding without one.
    const std::string to = str(d, "to");
    const bool check = e.type == "resync" ||
                       ((to == "seeding" || to == "finished") && str(d, "from") != "downloading");
    return check && is_complete(c, until) ? static_cast<int>(exit_ok) : -1;
  };
  sse_parser sse;
  bool connected_once = false, lost = false;
  auto lost_at = std::chrono::steady_clock::now();
  for (;;) {
    client::stream s(c.io());
    error_code ec = c.open(s, http::verb::get, "/api/v1/events", {}, {}, sse.last_id);
    if (c.interrupted()) return stop();
    std::string why = ec ? c.unreachable(ec) : std::string();
    if (!ec && s.parser.get().result_int() != 200) {
      reply r{s.parser.get().result_int(), {}};
      while (!c.read_some(s, r.body, 30s) && r.body.size() < 65536) {
      }
      throw failure{exit_failure, api_error(r)};
    }
    if (!ec) {
      if (!connected_once && !until.empty() && is_complete(c, until)) {
        print(fmt::format("completed  {}  (already complete)", short_id(until)));
        return exit_ok;
      }
      if (lost) fmt::print(stderr, "corrent: event stream back\n");
      connected_once = true;
      lost = false;
      sse.restart();
      int verdict = -1;
      for (std::string bytes; !ec && verdict < 0 && sse.pending.size() < max_reply;) {
        bytes.clear();
        ec = c.read_some(s, bytes);
        sse.feed(bytes, [&](const sse_parser::event& e) { return (verdict = on_event(e)) >= 0; });
      }
      if (verdict >= 0) return verdict;
      if (c.interrupted()) return stop();
      why = ec == http::error::end_of_stream ? "the daemon ended it"
            : ec == beast::error::timeout    ? "nothing came for 45 s"
            : ec                             ? ec.message()
                                             : "an event over 64 MiB";
    }
    if (!connected_once) throw failure{exit_failure, why};
    if (!lost) {
      lost = true;
      lost_at = std::chrono::steady_clock::now();
      fmt::print(stderr, "corrent: event stream lost ({}); reconnecting\n", why);
    } else if (std::chrono::steady_clock::now() - lost_at > reconnect_for) {
      throw failure{exit_failure, "gave up on the event stream after 30 s: " + why};
    }
    c.sleep(sse.retry);
    if (c.interrupted()) return stop();
  }
}

}  // namespace

command_runner register_remote(CLI::App& app) {
  auto o = std::make_shared<remote_options>();
  auto* cmd = app.add_subcommand("remote", "drive a running `corrent daemon` over its HTTP API");
  cmd->add_option("--url", o->url, "the daemon's API (default http://127.0.0.1:9080/)");
  cmd->add_option("--state", o->state, "the daemon's state directory: use the URL in DIR/api-url");
  cmd->add_option("--user", o->user, "the API's user name (default admin)");
  cmd->add_option("--password-file", o->password_file,
                  "FILE whose first line is the API's password (sent as HTTP Basic)");
  cmd->require_subcommand(1);
  auto* add = cmd->add_subcommand("add", "add torrents: .torrent files (read here) or magnets");
  add->add_option("torrents", o->sources, "FILE.torrent or MAGNET")->required();
  add->add_option("--save-path", o->save_path, "where to save (inside the daemon's download dir)");
  add->add_flag("--paused", o->paused, "add without starting");
  auto* list = cmd->add_subcommand("list", "list the torrents");
  list->add_option("--state", o->list_state, "only the torrents in this state")
      ->check(CLI::IsMember({"fetching_metadata", "checking", "downloading", "seeding", "paused",
                             "finished", "error"}));
  const char* ids_help = "torrent ids, or unique prefixes of 6+ hex characters";
  auto* pause = cmd->add_subcommand("pause", "pause torrents");
  pause->add_option("ids", o->ids, ids_help)->required();
  auto* resume = cmd->add_subcommand("resume", "resume torrents");
  resume->add_option("ids", o->ids, ids_help)->required();
  auto* remove = cmd->add_subcommand("remove", "remove torrents");
  remove->add_option("ids", o->ids, ids_help)->required();
  remove->add_flag("--delete-data", o->delete_data, "also delete their downloaded data");
  auto* stats = cmd->add_subcommand("stats", "show the session's totals");
  auto* watch = cmd->add_subcommand("watch", "print the daemon's events until Ctrl-C");
  watch->add_flag("--stats", o->show_stats, "also print the once-a-second `stats` events");
  watch->add_option("--until-complete", o->until,
                    "exit 0 once this torrent completes (1 if it fails or is removed)");
  return [=] {
    try {
      const auto c = make_client(*o);
      if (add->parsed()) return do_add(*c, *o);
      if (list->parsed()) return do_list(*c, *o);
      if (pause->parsed()) return do_each(*c, *o, "pause");
      if (resume->parsed()) return do_each(*c, *o, "resume");
      if (remove->parsed()) return do_each(*c, *o, "remove");
      if (stats->parsed()) return do_stats(*c);
      if (watch->parsed()) return do_watch(*c, *o);
      return static_cast<int>(exit_bad_input);
    } catch (const failure& f) {
      fmt::print(stderr, "corrent: {}\n", f.message);
      return f.code;
    }
  };
}

}  // namespace corrent::cli
