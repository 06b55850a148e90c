// swarm::peer_book — the peers a torrent knows of and may dial, where each came from
// (tracker, incoming, manual, later PEX and DHT), when each may be tried again, and the
// standing of every address it has dealt with: bans and trust are by IP, so a banned
// peer cannot come back from another port.
//
// Dialling: pick() offers entries that are due and marks them in use until on_closed().
// A connection that worked may be redialled `reconnect_s` after it ends; a failed attempt
// waits backoff_base_s * 2^failures (capped), and an entry that failed `max_failures`
// times in a row is forgotten unless it was given by hand. Our own address (a connection
// that reached our own peer id) is never dialled again, whatever source names it later.
// Bounded: at most max_known entries, and at most max_per_origin of them from any one
// origin (one tracker tier, say), so one source cannot fill the book with addresses that
// never answer; when full, an entry that keeps failing makes room for a new one (the one
// with the most failures, from the origin that holds the most). Addresses that are
// unusable (port 0, unspecified, multicast) are never taken. Bans and standing are kept
// for at most max_ips addresses each (the oldest ban goes first; standing that says
// nothing goes first). Pure: time is passed in as seconds.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "core/net/peer_address.hpp"

namespace corrent::swarm {

enum class peer_source : std::uint8_t { tracker, incoming, manual, pex, dht };
inline constexpr std::size_t peer_source_count = 5;
std::string_view to_string(peer_source s);

struct peer_book_config {
  std::size_t max_known = 5000;
  std::size_t max_per_origin = 2500;  // entries first added by one origin
  std::size_t max_ips = 10000;        // bans, and standing records
  double reconnect_s = 5;             // after a connection that completed its handshake
  double backoff_base_s = 5;          // after a failed attempt: base * 2^min(failures, shift)
  int max_backoff_shift = 6;
  int max_failures = 8;  // in a row; then forgotten (manual peers never are)
};

// An IP address without its port: what bans and standing are keyed by.
struct ip_key {
  std::array<std::uint8_t, 16> ip{};
  bool is_v6 = false;
  static ip_key of(const net::peer_address& a) { return {a.ip, a.is_v6}; }
  friend auto operator<=>(const ip_key&, const ip_key&) = default;
};

class peer_book {
 public:
  struct standing {
    bool parole = false;  // downloads whole pieces alone (a shared piece failed)
    int trust = 0;        // lowered by failed pieces, raised by good ones
  };

  explicit peer_book(peer_book_config config = {}) : config_(config) {}

  // A peer to dial. False when it is unusable, banned, ours, or the book (or the origin's
  // share of it) is full of entries that do not fail; an entry already known keeps its
  // schedule and adds the source. `origin` tells sources of one kind apart (the tracker
  // tier); it counts against max_per_origin.
  bool add(const net::peer_address& a, peer_source source, std::uint16_t origin = 0);
  // Appends up to `max` entries due at `now` to `out` and marks them in use.
  void pick(double now, std::size_t max, std::vector<net::peer_address>& out);
  // The next time an entry not in use becomes due (for the caller's timer); -1: none.
  double next_due() const;
  // A dial or connection to an entry ended: `handshook` when it was a working connection.
  void on_closed(const net::peer_address& a, bool handshook, double now);

  // No entry is in use (every connection ended: the torrent stopped).
  void release_all();

  // The address reached our own peer id: never dialled again.
  void mark_self(const net::peer_address& a);
  bool is_self(const net::peer_address& a) const { return self_.count(a) != 0; }

  // Bans the peer's IP (every port): its entries are dropped and never taken again.
  void ban(const net::peer_address& a);
  bool is_banned(const net::peer_address& a) const { return banned_.count(ip_key::of(a)) != 0; }
  std::size_t banned_count() const { return banned_.size(); }

  // The peer hung up on (or failed) our encrypted handshake and then worked in plaintext:
  // later dials go straight to plaintext. Forgotten with the entry.
  void mark_plaintext(const net::peer_address& a);
  bool plaintext(const net::peer_address& a) const;

  standing& standing_of(const net::peer_address& a);
  const standing* find_standing(const net::peer_address& a) const;

  std::size_t size() const { return entries_.size(); }
  // Entries `source` named (an entry named by several sources counts for each).
  std::size_t count(peer_source source) const;
  bool contains(const net::peer_address& a) const { return entries_.count(a) != 0; }
  // The source that named the entry first (none: not in the book).
  std::optional<peer_source> first_source(const net::peer_address& a) const;
  bool in_use(const net::peer_address& a) const;

 private:
  struct entry {
    double next_attempt = 0;
    int failures = 0;
    bool in_use = false;
    bool plaintext = false;    // mark_plaintext()
    std::uint8_t sources = 0;  // bit per peer_source
    std::uint32_t origin = 0;  // who added it first: source kind << 16 | origin
  };
  using entry_map = std::map<net::peer_address, entry>;
  // Drops the entry (not in use, not manual, failed at least once) with the most failures,
  // among those of `origin` (or of any origin when null). False if there is none.
  bool evict_failing(const std::uint32_t* origin);
  void erase(entry_map::iterator it);
  peer_book_config config_;
  entry_map entries_;
  std::map<std::uint32_t, std::size_t> per_origin_;
  std::set<net::peer_address> self_;
  std::set<ip_key> banned_;
  std::deque<ip_key> ban_order_;  // oldest first, for the bound
  std::map<ip_key, standing> standing_;
};

}  // namespace corrent::swarm
