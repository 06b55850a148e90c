// `corrent remote watch`: the daemon's Server-Sent Events stream, one line per event,
// reconnecting with Last-Event-ID.
#include "cli/remote_client.hpp"
#include "io/rpc/json_text.hpp"

namespace corrent::cli::remote {
namespace {

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
  if (type != "stats") return head + "  " + shown(io::json_text(d));
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

}  // namespace

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

}  // namespace corrent::cli::remote
