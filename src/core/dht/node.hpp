// dht::node — our node in the mainline DHT (BEP 5), as a sans-I/O state machine: io hands
// it each datagram that arrived on the session's UDP port (on_datagram) and calls tick()
// every half second or so; it answers with the datagrams to send (take_outgoing) and
// what the session should know (take_events: peers found for a torrent, lookups done,
// log lines). It owns the routing table, the lookups, the write tokens and the peer store.
//
// Hard to abuse:
//  * every datagram from one IP address spends from that IP's budget (per_ip_rate a
//    second, per_ip_burst at once) and every query from the global one; what is over
//    budget is dropped before it is decoded, so a flood costs a lookup in a small table;
//  * a reply counts only when its transaction id is one we sent, to the address it came
//    from, and not yet answered or expired: at most max_pending queries are out at once;
//  * a response is never larger than krpc::max_response_size, so answering cannot amplify
//    a forged source's traffic more than a few times;
//  * the routing table, the peer store, the lookups and the rate table are all bounded.
//
// Read-only (BEP 43): our queries say `ro`, and queries to us go unanswered (and their
// senders stay out of our table). BEP 42: the `ip` other nodes see us at is voted on;
// once max(3) distinct nodes agree on a public address our id does not match, we take a
// new id made for it (and rebuild the table from the nodes we had).
//
// Pure: time (seconds, any epoch) and randomness (a seed) are passed in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/dht/krpc.hpp"
#include "core/dht/lookup.hpp"
#include "core/dht/node_id.hpp"
#include "core/dht/peer_store.hpp"
#include "core/dht/routing_table.hpp"
#include "core/dht/tokens.hpp"
#include "core/net/peer_address.hpp"

namespace corrent::dht {

struct node_config {
  bool read_only = false;               // BEP 43
  std::size_t max_pending = 256;        // our queries awaiting an answer
  std::size_t max_lookups = 32;         // lookups at once (torrents', refreshes, bootstrap)
  double query_timeout_s = 3;           // a ping or announce unanswered this long failed
  double per_ip_rate = 50;              // datagrams a second from one IP address...
  double per_ip_burst = 100;            // ...and at once
  double global_query_rate = 1000;      // queries a second from everyone...
  double global_query_burst = 2000;     // ...and at once
  std::size_t max_rate_entries = 4096;  // IPs the rate table tracks
  std::size_t max_values = 100;         // peers in one get_peers answer (before the size cap)
  std::size_t pings_per_tick = 4;       // questionable nodes pinged per tick
  double bootstrap_retry_s = 30;        // an empty table bootstraps again after this long
  double save_every_s = 5 * 60;         // save_due() after this long
  int external_ip_votes = 3;            // distinct voters that must agree (BEP 42)
  routing_table_config table;
  lookup_config lookups;
  peer_store_config store;
};

struct node_stats {
  std::size_t nodes = 0;           // in the routing table
  std::size_t replacements = 0;    // waiting in its replacement caches
  std::size_t pending = 0;         // our queries in flight
  std::size_t lookups = 0;         // running now
  std::uint64_t lookups_done = 0;  // torrents' lookups finished
  std::uint64_t queries_in = 0;    // queries answered (or refused with an error)
  std::uint64_t queries_out = 0;
  std::uint64_t replies_in = 0;        // replies matched to our queries
  std::uint64_t unexpected_in = 0;     // replies to nothing we sent, or from elsewhere
  std::uint64_t rate_limited = 0;      // datagrams dropped over budget
  std::uint64_t malformed_in = 0;      // datagrams that did not decode
  std::uint64_t timeouts = 0;          // our queries that went unanswered
  std::size_t stored_info_hashes = 0;  // swarms in the peer store
  std::size_t stored_peers = 0;
};

class node {
 public:
  struct outgoing {
    net::peer_address to;
    std::string data;
  };
  struct event {
    enum class kind : std::uint8_t {
      peers,        // a lookup for `info_hash` found these `peers` (new ones only)
      lookup_done,  // the lookup for `info_hash` ended: `nodes_asked`, `peers_total`
      log,          // `text`, for --verbose
    } k{};
    node_id info_hash;
    std::vector<net::peer_address> peers;
    std::size_t nodes_asked = 0;
    std::size_t peers_total = 0;
    std::string text;
  };

  // `saved`: routing_table::save() output of an earlier run (its id and nodes are taken),
  // or empty for a fresh random id. `bootstrap`: nodes to start from (routers); they are
  // asked whenever the table is empty.
  node(node_config config, std::string_view saved, std::vector<net::peer_address> bootstrap,
       double now, std::uint64_t seed);
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  // A datagram from `from`; false when it is not KRPC at all (not a bencoded dictionary),
  // so the socket may offer it to someone else.
  bool on_datagram(const net::peer_address& from, std::string_view data, double now);
  // Timeouts, pings, refreshes, lookups' next queries, token rotation, expiry.
  void tick(double now);

  // Finds peers for `info_hash` (get_peers), and when `announce_port` is not 0 announces
  // us there on it (to the closest nodes that gave a token). False when a lookup for it
  // is already running, or too many are.
  bool get_peers(const node_id& info_hash, std::uint16_t announce_port, double now);
  // A node someone told us of (a peer's `port` message, a .torrent's `nodes`): pinged, and
  // added to the table if it answers.
  void add_node(const net::peer_address& address, double now);
  // One more bootstrap router (resolved late, say): the next tick bootstraps again if the
  // table is not full enough.
  void add_router(const net::peer_address& address);
  // Someone (a peer's `yourip`, a reply's `ip`) says our address is `ip`.
  void vote_external_ip(const net::peer_address& ip, const net::peer_address& voter, double now);

  std::vector<outgoing> take_outgoing();
  std::vector<event> take_events();

  const node_id& id() const { return table_->self(); }
  const routing_table& table() const { return *table_; }
  node_stats stats() const;
  // routing_table::save(): our id and the nodes that answered us.
  std::string save() const { return table_->save(); }
  bool save_due(double now) const { return now - saved_at_ >= config_.save_every_s; }
  void mark_saved(double now) { saved_at_ = now; }

 private:
  enum class purpose : std::uint8_t { ping, lookup, announce };
  struct pending_query {
    net::peer_address to;
    purpose why = purpose::ping;
    std::uint64_t lookup_id = 0;
    double sent_at = 0;
  };
  struct running_lookup {
    std::unique_ptr<lookup> l;
    std::uint16_t announce_port = 0;  // get_peers: announce there when done (0: no)
    bool for_torrent = false;         // a torrent's (events), else a refresh or bootstrap
    std::size_t peers_reported = 0;
  };
  struct rate_bucket {
    double tokens = 0;
    double at = 0;
  };

  bool allow(const net::peer_address& from, double now);
  void on_query(const net::peer_address& from, const message& m, double now);
  void on_reply(const net::peer_address& from, const message& m, double now);
  void on_error_reply(const net::peer_address& from, const message& m, double now);
  // The query a reply answers: only one of ours, from the address we sent it to (else
  // counted as unexpected).
  std::optional<pending_query> take_pending(const net::peer_address& from,
                                            const std::string& transaction);
  std::optional<std::string> send_query(const net::peer_address& to, purpose why,
                                        std::uint64_t lookup_id, double now);
  std::string new_transaction();
  std::uint64_t start_lookup(const node_id& target, lookup_kind kind, bool for_torrent,
                             std::uint16_t announce_port, double now);
  void pump(double now);
  void finish(std::uint64_t id, running_lookup& r, double now);
  void expire_pending(double now);
  void bootstrap_if_empty(double now);
  void change_id(const node_id& id, double now);
  std::vector<node_contact> nodes_for(const node_id& target, const net::peer_address& requester,
                                      const std::vector<std::string>& want, double now) const;
  void log(std::string text);

  node_config config_;
  std::mt19937_64 rng_;
  std::unique_ptr<routing_table> table_;
  tokens tokens_;
  peer_store store_;
  std::vector<net::peer_address> bootstrap_;
  std::map<std::string, pending_query> pending_;  // by transaction id
  std::map<std::uint64_t, running_lookup> lookups_;
  std::uint64_t next_lookup_id_ = 1;
  std::unordered_map<std::string, rate_bucket> rates_;  // by IP bytes
  rate_bucket global_{};
  double last_bootstrap_ = -1e18;
  double saved_at_;
  std::map<net::peer_address, std::map<std::string, double>> ip_votes_;  // ip -> voter IPs
  std::optional<net::peer_address> external_ip_;
  std::vector<outgoing> out_;
  std::vector<event> events_;
  node_stats counters_;
};

}  // namespace corrent::dht
