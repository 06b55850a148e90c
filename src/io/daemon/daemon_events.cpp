// The daemon's events: what happened to its torrents, numbered in a bounded log, and the
// Server-Sent Events stream that follows it (GET /api/v1/events).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <chrono>

#include "core/daemon/api_rules.hpp"
#include "io/daemon/api_json.hpp"
#include "io/daemon/daemon_api.hpp"
#include "io/rpc/json_text.hpp"

namespace corrent::io {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr auto keep_alive_every = std::chrono::seconds(15);

}  // namespace

void daemon_api::push_event(std::string type, std::string data) {
  events_.push(std::move(type), std::move(data));
  for (auto* t : waiting_) t->cancel();  // wakes every stream waiting for news
}

void daemon_api::on_state(torrent& t, torrent_state from, torrent_state to) {
  const std::string id = crypto::to_hex(t.info_hash());
  json::object o;
  o["id"] = id;
  o["from"] = state_name(from);
  o["to"] = state_name(to);
  push_event("state", json_text(o));
  if (from == torrent_state::fetching_metadata && t.info()) {
    json::object m;
    m["id"] = id;
    m["name"] = t.name();
    m["size"] = t.info()->total_length;
    push_event("metadata", json_text(m));
  }
  const auto s = t.status();
  if ((to == torrent_state::seeding || to == torrent_state::finished) && s.bytes_total > 0 &&
      s.bytes_done == s.bytes_total) {
    if (auto* e = entry_of(id); e && e->completed_at == 0) {
      e->completed_at = unix_now();
      save_list();
    }
  }
  if ((to == torrent_state::seeding || to == torrent_state::finished) &&
      from == torrent_state::downloading && s.bytes_total > 0 && s.bytes_done == s.bytes_total) {
    json::object c;
    c["id"] = id;
    c["name"] = t.name();
    push_event("completed", json_text(c));
  }
  if (to == torrent_state::error) {
    json::object e;
    e["id"] = id;
    e["error"] = s.error;
    push_event("error", json_text(e));
  }
}

void daemon_api::on_tick() {
  if (++ticks_ % 2 == 0) scan_watch_dir();
  // Nobody listens: no deltas. The figures stay as last sent, so the first delta after a
  // client (re)connects holds every torrent that changed meanwhile.
  if (streams_ == 0) return;
  json::array changed;
  // Only the few figures, not each torrent's whole status: with thousands of torrents this
  // runs every second.
  for (const auto& t : session_.torrents()) {
    auto s = t->figures();
    // A rate decays for a while after the transfer stopped: below 64 B/s it is none, so an
    // idle torrent stops changing (and stops being sent) within seconds.
    if (s.down_rate < 64) s.down_rate = 0;
    if (s.up_rate < 64) s.up_rate = 0;
    const auto figures = std::make_tuple(s.bytes_done, static_cast<std::int64_t>(s.down_rate),
                                         static_cast<std::int64_t>(s.up_rate), s.peers);
    auto [it, fresh] = last_stats_.try_emplace(t->info_hash(), figures);
    if (!fresh && it->second == figures) continue;
    it->second = figures;
    json::object o;
    o["id"] = crypto::to_hex(t->info_hash());
    o["progress"] = progress(s.bytes_done, s.bytes_total);
    o["done"] = s.bytes_done;
    o["down_rate"] = s.down_rate;
    o["up_rate"] = s.up_rate;
    o["peers"] = s.peers;
    changed.push_back(std::move(o));
  }
  if (changed.empty()) return;
  json::object o;
  o["torrents"] = std::move(changed);
  push_event("stats", json_text(o));
}

void daemon_api::close_streams() {
  closing_ = true;
  for (auto* t : waiting_) t->cancel();
}

http_response daemon_api::events(const http_request& req) {
  std::uint64_t cursor = events_.last_id();
  const std::string last = req.header("last-event-id");
  if (!last.empty()) {
    try {
      std::size_t used = 0;
      cursor = std::stoull(last, &used);
      if (used != last.size()) cursor = ~0ull;
    } catch (const std::exception&) {
      cursor = ~0ull;  // not ours: resync
    }
  }
  http_response r;
  r.content_type = "text/event-stream";
  auto state = std::make_shared<std::uint64_t>(cursor);
  auto first = std::make_shared<bool>(true);
  // Counted in streams_ while the stream (its chunk producer) lives.
  struct open_stream {
    int& n;
    explicit open_stream(int& count) : n(count) { ++n; }
    ~open_stream() { --n; }
  };
  auto counted = std::make_shared<open_stream>(streams_);
  r.next_chunk = [this, state, first, counted](std::string& out) -> asio::awaitable<bool> {
    for (;;) {
      if (closing_) co_return false;
      if (*first) {
        *first = false;
        out += "retry: 2000\n\n";
      }
      auto news = events_.since(*state);
      if (!news) {
        *state = events_.last_id();
        out += daemon::format_sse({*state, "resync", "{}"});
        co_return true;
      }
      if (!news->empty()) {
        for (const auto& e : *news) out += daemon::format_sse(e);
        *state = news->back().id;
        co_return true;
      }
      if (!out.empty()) co_return true;
      // Nothing new: wait for an event (push_event cancels every waiting timer), or send a
      // keep-alive comment after a while.
      asio::steady_timer quiet(ex_);
      quiet.expires_after(keep_alive_every);
      waiting_.insert(&quiet);
      struct unregister {
        std::set<asio::steady_timer*>& set;
        asio::steady_timer* t;
        ~unregister() { set.erase(t); }
      } guard{waiting_, &quiet};
      auto [ec] = co_await quiet.async_wait(asio::as_tuple(asio::use_awaitable));
      if (closing_) co_return false;
      if (!ec && events_.last_id() == *state) {
        out += ": keep-alive\n\n";
        co_return true;
      }
    }
  };
  return r;
}

}  // namespace corrent::io
