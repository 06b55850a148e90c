// torrent::torrent_logic — the protocol brain of one torrent: events in, actions out.
//
// In: a peer attached after its handshake, each message it sends, a piece's hash result,
// a block batch read for upload, a tracker's answer, and once a second the time. Out:
// bytes to send (each peer's peer_state::out, listed in dirty()), connections to close
// (peer_state::closing), and actions(): blocks to store, pieces to hash, addresses to
// dial, tiers to announce to, bans and notable events to log, the download's end.
// The io layer carries the actions out and reports back; every rule of BEP 3 that spans
// connections is here, and unit-tested without sockets:
//   * requests (swarm::piece_picker): rarest first, whole pieces shared between peers
//     up to the open-piece cap that the shared piece budget leaves; a pipeline deep
//     enough for a tenth of a second of each peer's rate; download slots
//     (swarm::download_slots) for how many peers we ask at once; the endgame asks for
//     copies of the last blocks, at most `endgame_requests` per peer, and cancels the
//     copies when one arrives;
//   * a failed piece: its only sender is banned; with several, each goes on parole
//     (whole pieces alone) and smart ban (swarm::smart_ban) names the liar once the piece
//     verifies; trust points catch the rest (-2 per shared failure, +1 per good piece,
//     banned at -7). Bans are by IP (swarm::peer_book);
//   * choking (swarm::choker) every 10 s, or at once when interest changes (at most once
//     a second); a peer that keeps our requests 30 s without a block is dropped;
//   * which known peers to dial (swarm::peer_book) and when each tracker tier announces
//     (tracker::announce_schedule): never sooner than the tracker's `min interval`, or
//     default_min_announce_s when it gives none;
//   * seeding limits: a ratio is not reached while an interested peer is connected and the
//     peers do not hold every piece twice between them (any one may leave); past the
//     ratio, a fast-extension peer is refused the pieces another peer holds.
//   * the extension protocol (BEP 10): our extended handshake, theirs kept in peer_state,
//     and each extension a named handler (extension.hpp): ut_metadata
//     (metadata_extension.hpp) and ut_pex (pex_extension.hpp);
//   * the fast extension (BEP 6), when both set its bit: have_all / have_none, rejects,
//     allowed-fast pieces both ways, a choke that does not void requests; without it
//     those messages are protocol violations.
// The torrent may exist before its `info` (a magnet): until set_info() it accepts peers,
// announces and fetches the `info` from them (metadata_received), but asks for and serves
// no pieces. Deterministic: time and a random seed are passed in; single-threaded.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/crypto/sha1.hpp"
#include "core/metainfo/info.hpp"
#include "core/net/peer_address.hpp"
#include "core/peer/close_reason.hpp"
#include "core/peer/peer_state.hpp"
#include "core/swarm/bandwidth.hpp"
#include "core/swarm/choker.hpp"
#include "core/swarm/download_slots.hpp"
#include "core/swarm/peer_book.hpp"
#include "core/swarm/piece_budget.hpp"
#include "core/swarm/piece_picker.hpp"
#include "core/swarm/smart_ban.hpp"
#include "core/torrent/extension.hpp"
#include "core/tracker/announce.hpp"
#include "core/tracker/tier.hpp"
#include "core/wire/message.hpp"

namespace corrent::torrent {

struct torrent_config {
  crypto::sha1_digest info_hash{};            // what a fetched `info` must hash to
  std::uint16_t listen_port = 0;              // said in our extended handshake (`p`)
  std::string client_version = "corrent";     // `v`
  std::int64_t max_metadata_size = 48 << 20;  // the cap on `info` in a .torrent
  std::size_t allowed_fast_count = 10;        // BEP 6 set size offered to each peer
  std::uint32_t reqq = 2048;                  // `reqq`: peer_state::max_queued_requests
  int max_peers = 50;                         // connections at once (both directions)
  int max_incoming_per_ip = 8;                // incoming connections from one IP address
  double useless_after_s = 60;           // a peer that traded nothing this long may be replaced
  double idle_replaceable_after_s = 10;  // sooner if it does not even want anything
  double seed_ratio = 0;                 // seeding ends at uploaded / size >= ratio (0: never)
  double seed_time_s = 0;                // seeding ends after this long (0: never)
  double seed_linger_max_s = 600;        // past the ratio, waiting for the swarm to hold a copy
  std::size_t endgame_requests = 8;      // duplicate requests per peer in the endgame
  double default_min_announce_s = 300;   // when a tracker gives no `min interval`
  int low_peer_count = 5;  // below this many peers a tier re-announces at its min interval
  // BEP 12: tiers are fallbacks. They start in order, at most this many rounds at once,
  // and none after a tier whose last round succeeded.
  std::size_t max_tier_rounds_in_flight = 4;
  std::size_t max_tracker_urls = 256;  // over every tier; the rest are ignored
  double rechoke_interval_s = 10;
  double snub_timeout_s = 30;         // requests out and no block at all: dropped
  double request_timeout_min_s = 10;  // no requested block for this long (request_timeout):
  double request_timeout_max_s = 60;  // its requests go to others
  double snub_penalty_s = 30;         // and it gets none for this long;
  int max_request_timeouts = 3;       // this many in a row: dropped
  std::int64_t max_open_piece_bytes = 16 << 20;  // open pieces, whatever the budget allows
  // BEP 5. dht_port: our DHT node's UDP port, sent in a `port` message to peers that set
  // the DHT bit (0: no DHT node). dht: look the torrent up (and announce it) in the DHT at
  // start and every dht_interval_s; while lookups find no one to connect to for a torrent
  // we download, again after dht_first_retry_s, doubling up to dht_retry_s (a lookup whose
  // replies were lost, say to a flood that filled the socket's buffer, is not left for a
  // minute); never for a private torrent (BEP 27).
  std::uint16_t dht_port = 0;
  bool dht = false;
  double dht_interval_s = 15 * 60;
  double dht_first_retry_s = 5;
  double dht_retry_s = 60;
  swarm::choker_config choker;
  swarm::download_slots_config slots;
  swarm::peer_book_config book;
};

enum class action_kind : std::uint8_t {
  store_block,         // copy `data` into piece block.piece at block.begin (data is valid
                       // until the next call into the logic)
  hash_piece,          // every block of `piece` is stored: hash it, write it if good, then
                       // on_piece_hashed()
  connect,             // dial `address`, then on_peer_connected() or on_connect_failed()
  announce,            // announce `event` to tier `tier` (tier_urls()), then on_announced()
  metadata_received,   // the `info` (BEP 9) hashed right: `data` holds its bytes (valid until
                       // the next call into the logic); set_info() once the files are checked
  download_complete,   // every piece verified and written
  seed_limit_reached,  // the seed ratio or time is reached: stop the torrent
  dht_lookup,          // look the torrent up in the DHT and announce it; then on_dht_done()
  dht_node,            // a peer's DHT node is at `address` (its `port` message): ping it
  log_info,            // `text`, for the user's log
  log_warn,
};

struct action {
  action_kind kind{};
  swarm::peer_key peer = 0;
  swarm::block_ref block{};
  std::string_view data;
  std::uint32_t piece = 0;
  net::peer_address address{};
  std::size_t tier = 0;
  bool plaintext = false;  // connect: it refused our encrypted handshake before (skip MSE)
  tracker::event event = tracker::event::none;
  std::string text;
};

// One tracker tier as the API shows it.
struct tier_report {
  std::vector<std::string> urls;  // in the order they are tried (the last to answer first)
  bool announced = false;         // a round ended at least once
  bool ok = false;                // the last round worked
  bool in_flight = false;
  double last_round_at = 0;     // the logic's clock
  double next_round_at = 0;     // when the next round is due at the latest (the logic's clock)
  std::int64_t last_peers = 0;  // peers in the last answer
  std::int64_t seeders = -1;    // the last answer's `complete` and `incomplete` (-1: none)
  std::int64_t leechers = -1;
  double counts_at = 0;  // when those came (the logic's clock; 0: never)
};

// What a connection that ended did, kept per address for the run's summary.
struct peer_record {
  net::peer_address address;
  wire::peer_id id{};
  std::int64_t downloaded = 0;
  std::int64_t uploaded = 0;
  int hash_failures = 0;
};

class metadata_extension;
class pex_extension;

class torrent_logic {
 public:
  // `trackers`: BEP 12 tiers. `seed`: randomness (tier order, picking, optimistic unchoke).
  torrent_logic(torrent_config config, std::vector<std::vector<std::string>> trackers,
                std::uint64_t seed);
  ~torrent_logic();
  torrent_logic(const torrent_logic&) = delete;
  torrent_logic& operator=(const torrent_logic&) = delete;

  // Shared session resources (optional: none means no limit and no shared budget). They
  // must outlive the logic.
  void attach(swarm::piece_budget* budget, swarm::bandwidth_channel* down,
              swarm::bandwidth_channel* up);

  // The torrent's `info` is known (at once for a .torrent, later for a magnet): the
  // picker is built with the pieces already verified (`have`: empty or one bit per piece).
  // `info` must outlive the logic.
  void set_info(const metainfo::info& info, const swarm::bitfield& have);
  bool has_info() const { return info_ != nullptr; }
  // Files are in place and served: the choker favours spreading pieces, limits apply.
  void set_seeding(bool seeding, double now);
  bool seeding() const { return seeding_; }
  // Changes the seeding limits while it runs (0: none); checked at the next tick.
  void set_seed_limits(double ratio, double time_s) {
    config_.seed_ratio = ratio;
    config_.seed_time_s = time_s;
  }
  double seeding_for(double now) const { return seeding_ ? now - seeding_since_ : 0; }

  // --- peers ---
  // Whether a connection from/to `address` may attach now: not banned, not too many from
  // its IP, and room for it — when full, an incoming one takes the place of a peer that
  // has traded nothing for useless_after_s (closed now).
  std::optional<peer::close_reason> may_attach(const net::peer_address& address, bool outgoing,
                                               double now);
  // A connection finished its handshake. Sends our bitfield when we have pieces.
  peer::peer_state& on_peer_connected(swarm::peer_key key, const net::peer_address& address,
                                      bool outgoing, const wire::peer_id& id,
                                      const std::array<std::uint8_t, 8>& reserved, double now);
  // False: the connection must close (peer_state::closing says why).
  bool on_message(swarm::peer_key key, const wire::message& m, double now);
  // After a batch of messages from one peer: interest and requests.
  void after_messages(swarm::peer_key key, double now);
  void on_peer_closed(swarm::peer_key key, double now);
  // A dial we were asked for failed before its handshake (self_connection: it was us).
  void on_connect_failed(const net::peer_address& address, peer::close_reason why, double now);
  // A dial's encrypted handshake was refused and plaintext then worked: the next dials to
  // `address` skip the encrypted attempt (connect actions carry `plaintext`).
  void on_plaintext_only(const net::peer_address& address) { book_.mark_plaintext(address); }
  // Peers from a tracker (or the user): added to the book, and dialled when there is room.
  // `origin` tells sources of a kind apart (the tracker tier): each holds a bounded share.
  void add_peers(const std::vector<net::peer_address>& peers, swarm::peer_source source, double now,
                 std::uint16_t origin = 0);
  peer::peer_state* find_peer(swarm::peer_key key);
  const std::unordered_map<swarm::peer_key, std::unique_ptr<peer::peer_state>>& peers() const {
    return peers_;
  }

  // --- pieces ---
  // `ok`: the piece hashed right and was written. `blocks`: the SHA-1 of each block, when
  // the piece failed or watching(piece) asked for them (smart ban).
  void on_piece_hashed(std::uint32_t piece, bool ok, const std::vector<crypto::sha1_digest>& blocks,
                       double now);
  bool watching(std::uint32_t piece) const { return smart_ban_.watching(piece); }

  // --- upload ---
  // Takes up to `max_blocks` of the peer's queued requests to read and send now (none
  // while we choke it, or while the upload limit has no tokens).
  std::size_t take_upload_batch(swarm::peer_key key, std::size_t max_blocks, double now,
                                std::vector<swarm::block_ref>& out);
  // A batch was read: false when it must not be sent (the peer is gone or choked meanwhile).
  // Counted as uploaded when true.
  bool on_upload_ready(swarm::peer_key key, const std::vector<swarm::block_ref>& batch, double now);

  // --- trackers ---
  std::size_t tier_count() const { return tiers_.size(); }
  const std::vector<std::string>& tier_urls(std::size_t tier) const;
  // The URL that answered last in the tier (for `completed` / `stopped`); empty if none.
  const std::string& tier_last_good(std::size_t tier) const;
  std::vector<tier_report> tier_reports() const;
  // The tier's round ended: `url` answered with `response`, or every URL failed (null).
  void on_announced(std::size_t tier, const std::string* url,
                    const tracker::announce_response* response, double now);

  // --- DHT ---
  // The lookup asked for by dht_lookup ended having found `peers_found` peers (they came
  // through add_peers with peer_source::dht).
  void on_dht_done(std::size_t peers_found, double now);
  bool dht_allowed() const;

  // --- time ---
  // Once a second: rates, download slots, snubbed peers, rechoke, dialling, announces,
  // seeding limits.
  void on_tick(double now);
  // While a rate limit is set, often (every ~20 ms): tops up requests as tokens accrue.
  void on_bandwidth_tick(double now);
  // The shared piece budget has room again (another torrent's pieces were written).
  void on_budget_freed(double now);
  // The torrent is stopping (paused, removed, done): no more requests, dials, announces
  // or uploads; peers closing now are not replaced.
  void stop();
  bool stopping() const { return stopping_; }

  // --- output ---
  std::vector<action>& actions() { return actions_; }
  // Peers with bytes in `out` or a close decided, each once since the last take.
  std::vector<swarm::peer_key>& dirty() { return dirty_; }

  // --- state ---
  const metainfo::info* info() const { return info_; }
  const swarm::piece_picker* picker() const { return picker_ ? &*picker_ : nullptr; }
  bool complete() const;  // every piece verified
  std::uint32_t have_count() const;
  swarm::bitfield have_bitfield() const;
  // The pieces we have and those handed to the disk and not yet back: all whose data may
  // be in the page cache (a failed flush may have lost any of them).
  swarm::bitfield have_or_at_disk() const;
  std::int64_t verified_bytes() const { return verified_bytes_; }
  std::int64_t left_bytes() const;
  std::int64_t downloaded_bytes() const { return downloaded_bytes_; }
  std::int64_t uploaded_bytes() const { return uploaded_bytes_; }
  // Carried over from an earlier run (resume data).
  void add_totals(std::int64_t downloaded, std::int64_t uploaded);
  std::int64_t hash_failures() const { return hash_failures_; }
  double first_byte_at() const { return first_byte_at_; }  // -1: none yet
  const peer::rate_meter& down_meter() const { return down_meter_; }
  const peer::rate_meter& up_meter() const { return up_meter_; }
  int connected_peers() const { return static_cast<int>(peers_.size()); }
  // Connected peers by where we learned of them (indexed by swarm::peer_source): incoming
  // ones as `incoming`, dialled ones by the source that named them first.
  std::array<int, swarm::peer_source_count> connected_by_source() const;
  int connecting_peers() const { return connecting_; }
  const swarm::peer_book& book() const { return book_; }
  swarm::peer_book& book() { return book_; }
  const peer::close_counts& closes() const { return closes_; }
  void count_close(peer::close_reason r) { closes_.add(r); }
  const std::map<net::peer_address, peer_record>& finished_peers() const { return finished_; }
  const metadata_extension& metadata() const { return *metadata_; }
  const pex_extension& pex() const { return *pex_; }
  std::size_t open_pieces() const { return buffered_count_; }
  std::size_t pending_pieces() const { return pending_count_; }
  // Any request outstanding; any connected peer that could want our pieces (it is
  // interested, or not a seed) — the disk side's batching asks both.
  bool requests_outstanding() const;
  bool peers_may_want_pieces() const;

 private:
  friend class metadata_extension;
  friend class pex_extension;
  struct tier_state {
    tracker::tier urls;
    tracker::announce_schedule schedule;
    std::string last_good;
    bool in_flight = false;
    bool announced = false;  // a round ended at least once
    bool ok = false;         // and the last one succeeded
    double last_round_at = 0;
    tracker::event next_event = tracker::event::started;
    std::int64_t last_peers = 0;  // in the last answer
    std::int64_t seeders = -1;    // the last answer's `complete` / `incomplete` (-1: none)
    std::int64_t leechers = -1;
    double counts_at = 0;  // when those came
  };
  static constexpr double refusal_memory_s = 300;
  static constexpr double refused_for_s = 10;  // a piece a peer rejected: not asked again
  static constexpr int max_refusals_before_no_replace = 3;
  static constexpr std::size_t max_refusal_records = 4096;
  static constexpr int trust_per_failure = 2;
  static constexpr int trust_ban = -7;  // libtorrent's figures
  static constexpr int trust_max = 8;

  peer::peer_state& peer(swarm::peer_key key) { return *peers_.at(key); }
  bool on_availability(peer::peer_state& p, const wire::message& m);
  void early_availability(peer::peer_state& p, const wire::message& m);
  bool replay_availability(peer::peer_state& p);
  bool on_extended(peer::peer_state& p, const wire::message& m, double now);
  bool on_fast_only(peer::peer_state& p, const wire::message& m);
  void send_extended_handshake(peer::peer_state& p);
  void send_allowed_fast(peer::peer_state& p);
  bool on_block(peer::peer_state& p, const wire::message& m, double now);
  bool on_request(peer::peer_state& p, const wire::message& m);
  void update_interest(peer::peer_state& p);
  bool may_request(const peer::peer_state& p, double now) const;
  double request_timeout(const peer::peer_state& p) const;
  void expire_requests(peer::peer_state& p, double now);
  std::size_t request_depth(const peer::peer_state& p) const;
  void fill_requests(peer::peer_state& p, double now, std::size_t* busy = nullptr);
  void fill_all_requests(double now, const peer::peer_state* except = nullptr);
  std::size_t busy_peers() const;
  bool peer_waiting(double now) const;
  void update_open_cap();
  void on_piece_failed(std::uint32_t piece, const std::vector<crypto::sha1_digest>& blocks);
  void ban(const net::peer_address& address, const std::string& why);
  void rechoke(double now);
  void maybe_rechoke(double now);
  bool seed_ratio_reached(double now);
  // Another connected peer has the piece, or got it whole from us.
  bool another_peer_has(swarm::peer_key key, std::uint32_t piece) const;
  // Every piece held (or sent whole) by two connected peers, or by the only one.
  bool peers_hold_every_piece_twice() const;
  void check_seed_limits(double now);
  void connect_more(double now);
  void announce_due(double now);
  void dht_due(double now);
  void log(action_kind level, std::string text);

  torrent_config config_;
  std::mt19937_64 rng_;
  const metainfo::info* info_ = nullptr;
  std::optional<swarm::piece_picker> picker_;
  swarm::choker choker_;
  swarm::download_slots slots_;
  swarm::smart_ban smart_ban_;
  swarm::peer_book book_;
  swarm::piece_budget* budget_ = nullptr;
  swarm::bandwidth_channel* down_ = nullptr;
  swarm::bandwidth_channel* up_ = nullptr;
  std::vector<tier_state> tiers_;
  std::unique_ptr<metadata_extension> metadata_;
  std::unique_ptr<pex_extension> pex_;
  std::vector<extension*> extensions_;  // by local id order

  std::unordered_map<swarm::peer_key, std::unique_ptr<peer::peer_state>> peers_;
  std::set<swarm::peer_key> banned_keys_;  // connections closed by ban()
  // The addresses of connections that ended, for the blocks they sent of pieces not yet
  // checked: blame for a bad piece survives its sender hanging up. Bounded (oldest out).
  std::unordered_map<swarm::peer_key, net::peer_address> departed_;
  std::deque<swarm::peer_key> departed_order_;
  // Addresses turned away (or replaced) because the torrent was full, and how often in the
  // last refusal_memory_s: one turned away this often may still take a free place, but not
  // take someone's. Otherwise a crowd of addresses reconnecting at once replaces its own
  // members forever, and a newcomer never finds an idle connection old enough to replace.
  struct refusal {
    int count = 0;
    double last = 0;
  };
  std::map<swarm::ip_key, refusal> refusals_;
  void count_refusal(const swarm::ip_key& ip, double now);
  static constexpr std::size_t max_departed = 1024;
  std::optional<net::peer_address> address_of(swarm::peer_key key) const;
  std::map<net::peer_address, peer_record> finished_;
  int connecting_ = 0;

  std::vector<action> actions_;
  std::vector<swarm::peer_key> dirty_;
  std::vector<swarm::block_ref> scratch_blocks_;
  std::vector<net::peer_address> scratch_addrs_;

  // Pieces holding a buffer (a block stored) and not yet handed to the disk; pieces
  // handed to the disk and not yet back. Both charged to the piece budget.
  enum class buffer_state : std::uint8_t { none, buffered, pending };
  std::vector<buffer_state> buffers_;  // per piece
  std::size_t buffered_count_ = 0;
  std::size_t pending_count_ = 0;
  std::uint32_t max_open_pieces_ = 4;
  std::uint32_t open_cap_ = 0;  // last value given to the picker

  // Blocks of a piece sent to a peer, until all of them went (then the peer's sent_whole
  // bit). Bounded: past max_sent_partial pieces in progress, new ones are not tracked (the
  // seed then waits longer, never shorter).
  static constexpr std::size_t max_sent_partial = 65536;
  std::map<std::pair<swarm::peer_key, std::uint32_t>, swarm::bitfield> sent_partial_;  // per peer
  double ratio_reached_at_ = -1;
  std::size_t blocks_per_piece_ = 1;

  bool stopping_ = false;
  bool seeding_ = false;
  double seeding_since_ = 0;
  bool seed_limit_sent_ = false;
  bool complete_sent_ = false;
  bool rechoke_wanted_ = false;
  double last_rechoke_ = -1e9;
  double last_tick_ = -1;
  bool dht_in_flight_ = false;
  double dht_next_ = 0;                // when the next lookup is due
  int dht_fruitless_ = 0;              // lookups in a row that found no one to connect to
  std::int64_t downloaded_bytes_ = 0;  // payload received, wasted included
  std::int64_t uploaded_bytes_ = 0;
  std::int64_t upload_in_flight_ = 0;  // taken by the io layer, not yet sent (all peers)
  std::int64_t verified_bytes_ = 0;
  std::int64_t hash_failures_ = 0;
  double first_byte_at_ = -1;
  peer::rate_meter down_meter_;
  peer::rate_meter up_meter_;
  peer::close_counts closes_;
};

}  // namespace corrent::torrent
