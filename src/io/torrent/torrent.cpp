// io::torrent: life cycle, the logic's actions and reports (connections: connections.cpp).
#include "io/torrent/torrent.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "core/crypto/sha1.hpp"
#include "core/text/printable.hpp"
#include "core/torrent/metadata_extension.hpp"
#include "io/dht/dht_service.hpp"
#include "io/storage/disk_io.hpp"

namespace corrent::io {
namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;
using namespace std::chrono_literals;
using corrent::torrent::action;
using corrent::torrent::action_kind;

namespace {

// Adds the closes counted by reason to a list of (reason text, count).
void add_closes(std::vector<std::pair<std::string, std::uint64_t>>& out,
                const peer::close_counts& counts) {
  for (std::size_t i = 0; i < peer::close_reason_count; ++i) {
    const auto r = static_cast<peer::close_reason>(i);
    if (counts[r] == 0) continue;
    const std::string text(peer::to_string(r));
    auto it =
        std::find_if(out.begin(), out.end(), [&](const auto& kv) { return kv.first == text; });
    if (it == out.end()) {
      out.emplace_back(text, counts[r]);
    } else {
      it->second += counts[r];
    }
  }
}

}  // namespace

std::string client_name(const wire::peer_id& id) {
  std::string s;
  for (std::size_t i = 0; i < 8; ++i) {
    const char c = static_cast<char>(id[i]);
    s += (c >= 0x20 && c < 0x7f) ? c : '.';
  }
  return s;
}

torrent::torrent(torrent_host& host, metainfo::add_params params,
                 std::shared_ptr<const metainfo::info> info, torrent_options options)
    : host_(host),
      params_(std::move(params)),
      info_(std::move(info)),
      options_(std::move(options)),
      down_channel_(&host.download_root()),
      up_channel_(&host.upload_root()),
      tasks_(host.executor(), "torrent " + crypto::to_hex(params_.info_hash).substr(0, 8)),
      state_(info_ ? torrent_state::checking : torrent_state::fetching_metadata),
      stopped_signal_(std::make_unique<asio::steady_timer>(host.executor())),
      hash_flush_timer_(std::make_unique<asio::steady_timer>(host.executor())) {
  stopped_signal_->expires_at(asio::steady_timer::time_point::max());
  down_channel_.set_rate(options_.max_download_rate);
  up_channel_.set_rate(options_.max_upload_rate);
  if (info_) {
    storage_ = std::make_unique<torrent_storage>(*info_, options_.output_dir, host.disk().files(),
                                                 options_.resume_file);
    have_ = swarm::bitfield(static_cast<std::size_t>(info_->num_pieces()));
    size_disk_side();
  }
}

torrent::~torrent() = default;

const std::string& torrent::name() const {
  return info_ ? info_->name : params_.name;
}

void torrent::set_limits(double max_download_rate, double max_upload_rate, double seed_ratio,
                         double seed_time_s) {
  options_.max_download_rate = max_download_rate;
  options_.max_upload_rate = max_upload_rate;
  options_.seed_ratio = seed_ratio;
  options_.seed_time_s = seed_time_s;
  down_channel_.set_rate(max_download_rate);
  up_channel_.set_rate(max_upload_rate);
  if (logic_) logic_->set_seed_limits(seed_ratio, seed_time_s);
}

swarm::bitfield torrent::have() const {
  return logic_ && info_ ? logic_->have_bitfield() : have_;
}

std::vector<corrent::torrent::tier_report> torrent::trackers() const {
  if (logic_) return logic_->tier_reports();
  std::vector<corrent::torrent::tier_report> out;
  for (const auto& tier : params_.trackers) {
    corrent::torrent::tier_report r;
    r.urls = tier;
    out.push_back(std::move(r));
  }
  return out;
}

void torrent::set_state(torrent_state s) {
  if (s == state_) return;
  spdlog::debug("{}: {} -> {}", text::printable(name()), to_string(state_), to_string(s));
  const auto from = state_;
  state_ = s;
  host_.on_torrent_state(*this, from, s);
}

void torrent::fail(std::string why) {
  if (error_.empty()) {
    error_ = std::move(why);
    spdlog::error("{}", error_);
  }
  host_.on_torrent_done(*this);
}

// ---------------------------------------------------------------- life cycle

asio::awaitable<void> torrent::start() {
  if (running_ || stopping_ || starting_ || state_ == torrent_state::error) co_return;
  starting_guard guard(*this, false);
  error_.clear();
  if (!info_) load_saved_metadata();
  if (!info_) {  // a magnet: nothing to check until the `info` arrives
    set_state(torrent_state::fetching_metadata);
    start_logic();
    co_return;
  }
  if (!co_await check_once()) co_return;
  if (complete_ && moved_ && !options_.seed && !options_.seed_only) {
    // Everything was there already: nothing to do.
    set_state(torrent_state::finished);
    host_.on_torrent_done(*this);
    co_return;
  }
  if (!complete_ && info_->piece_length > max_download_piece_length) {
    fail("piece length " + std::to_string(info_->piece_length >> 20) +
         " MiB is above the 32 MiB corrent downloads (pieces are kept in memory until "
         "checked); `corrent seed` serves complete data of any piece length");
    set_state(torrent_state::error);
    co_return;
  }
  if (!complete_ && options_.seed_only) {
    fail("the data in " + options_.output_dir.string() + " is incomplete or missing (" +
         std::to_string(have_.count()) + " of " + std::to_string(info_->num_pieces()) +
         " pieces good): run `corrent download` to complete it");
    set_state(torrent_state::error);
    co_return;
  }
  start_logic();
}

asio::awaitable<bool> torrent::check_once() {
  if (checked_) co_return true;
  set_state(torrent_state::checking);
  co_await check_files();
  if (!error_.empty()) {
    set_state(torrent_state::error);
    host_.on_torrent_done(*this);
    co_return false;
  }
  checked_ = true;
  co_return true;
}

asio::awaitable<void> torrent::check_paused() {
  if (running_ || stopping_ || starting_ || state_ == torrent_state::error) co_return;
  {
    starting_guard guard(*this, true);
    if (!info_) load_saved_metadata();
    if (info_ && !co_await check_once()) co_return;
    set_state(torrent_state::paused);
  }
  if (start_after_check_) {
    start_after_check_ = false;
    co_await start();
  }
}

void torrent::start_logic() {
  corrent::torrent::torrent_config cfg;
  const auto& so = host_.options();
  cfg.max_peers = so.max_peers;
  cfg.seed_ratio = options_.seed_ratio;
  cfg.seed_time_s = options_.seed_time_s;
  cfg.default_min_announce_s = so.min_announce_interval_s;
  cfg.info_hash = info_hash();
  cfg.listen_port = host_.listen_port();
  cfg.client_version = client_version;
  if (auto* d = host_.dht()) {
    cfg.dht = true;
    cfg.dht_port = d->port();
    // BEP 5: a .torrent's own nodes. Numeric ones only (no DNS here): they are pinged,
    // and serve as routers while the table is small.
    for (const auto& n : params_.dht_nodes) {
      if (const auto a = net::peer_address::parse(n)) d->add_router(*a);
    }
  }
  logic_ = std::make_unique<corrent::torrent::torrent_logic>(cfg, params_.trackers,
                                                             std::random_device{}());
  logic_->attach(&host_.disk().budget(), &down_channel_, &up_channel_);
  if (saved_book_) logic_->book() = std::move(*saved_book_);
  saved_book_.reset();
  if (info_) logic_->set_info(*info_, have_);
  logic_->add_totals(prior_downloaded_, prior_uploaded_);
  const double now = host_.now();
  if (started_at_ == 0) started_at_ = now;
  logic_started_at_ = now;
  running_ = true;
  serving_paused_ = false;
  if (complete_ && moved_) {
    if (storage_) storage_->use_final_location();
    logic_->set_seeding(true, now);
    set_state(torrent_state::seeding);
  } else if (info_) {
    set_state(torrent_state::downloading);
  }
  std::vector<net::peer_address> peers = options_.peers;
  peers.insert(peers.end(), params_.peers.begin(), params_.peers.end());
  logic_->add_peers(peers, swarm::peer_source::manual, now);
  logic_->on_tick(now);
  process();
  // Verified but never moved (stopped between the last piece and the move), or a torrent
  // of empty files only: finish now.
  if (info_ && logic_->complete() && !moved_) {
    complete_ = true;
    tasks_.spawn(finish_download());
  }
}

asio::awaitable<void> torrent::stop(torrent_state end, bool interrupted) {
  // A start under way (checking files) ends first, then this stops what it started; a
  // stop under way is waited for, and is enough.
  while (starting_ || stopping_) {
    const bool was_stopping = stopping_;
    co_await stopped_signal_->async_wait(as_tuple(use_awaitable));  // cancel() wakes every waiter
    if (was_stopping && !stopping_ && !starting_) co_return;
  }
  if (!running_) {
    if (state_ != torrent_state::error &&
        !(state_ == torrent_state::finished && end == torrent_state::paused))
      set_state(end);
    co_return;
  }
  stopping_ = true;
  logic_->stop();
  if (auto* d = host_.dht()) d->forget(info_hash());
  flush_hashes();  // pieces complete before the stop are still verified and written
  // A seed that reached its limit first sends what it already read for its peers (that
  // data counts as uploaded); up to 10 s. Ctrl-C does not wait.
  serving_paused_ = true;
  if (!interrupted) co_await wait_for_disk(true, 10s);
  if (!interrupted && logic_->seeding() && !conns_.empty()) {
    // A FIN after the data, and a moment for the peers to read it and hang up: closing
    // with their requests unread resets a connection, and a leecher could lose blocks
    // still in its receive queue (a seed that stopped at its ratio left one short).
    for (auto& [key, c] : conns_) c->finish_sending();
    asio::steady_timer t(host_.executor());
    for (int i = 0; i < 100 && !conns_.empty(); ++i) {
      t.expires_after(20ms);
      co_await t.async_wait(as_tuple(use_awaitable));
    }
  }
  for (auto& [key, c] : conns_) c->close(peer::close_reason::torrent_stopping);
  tasks_.cancel();
  co_await tasks_.join();
  co_await wait_for_disk(false, 60s);
  running_ = false;
  complete_ = complete_ || logic_->complete();
  if (complete_ && !moved_ && error_.empty()) {
    if (auto r = co_await move_into_place(); !r) {
      if (error_.empty()) error_ = r.error().message();
      spdlog::error("{}", error_);
    } else {
      spdlog::info("download complete: {}",
                   text::printable((options_.output_dir / info_->name).string()));
      co_await announce_once(tracker::event::completed, 3s);
    }
  } else if (!complete_ && info_ && checked_) {
    if (auto r = co_await checkpoint(); !r)
      spdlog::error("cannot save resume state: {}", r.error().message());
  } else if (complete_ && moved_) {
    co_await save_seed_record();  // its totals, for the next run
  }
  co_await announce_once(tracker::event::stopped, 2s);
  // What the next start() carries on from.
  prior_downloaded_ = logic_->downloaded_bytes();
  prior_uploaded_ = logic_->uploaded_bytes();
  prior_hash_failures_ += logic_->hash_failures();
  if (first_byte_s_ < 0 && logic_->first_byte_at() >= 0)
    first_byte_s_ = logic_->first_byte_at() - started_at_;
  for (const auto& [addr, rec] : logic_->finished_peers()) {
    auto& ps = past_peers_[addr];
    ps.address = addr.to_string();
    ps.client = client_name(rec.id);
    ps.downloaded += rec.downloaded;
    ps.uploaded += rec.uploaded;
    ps.hash_failures += rec.hash_failures;
    ps.banned = ps.banned || logic_->book().is_banned(addr);
  }
  add_closes(past_closes_, logic_->closes());
  if (info_) have_ = logic_->have_bitfield();
  past_sources_ = peers_by_source(logic_->book());
  saved_book_ = logic_->book();  // bans and standing outlive a pause
  saved_book_->release_all();
  logic_.reset();
  piece_buffers_.clear();
  set_state(!error_.empty() ? torrent_state::error : end);
  if (done()) ended_at_ = host_.now();
  stopping_ = false;
  stopped_signal_->cancel();
}

// ---------------------------------------------------------------- actions

void torrent::process() {
  if (!logic_) return;
  auto& acts = logic_->actions();
  for (std::size_t i = 0; i < acts.size(); ++i) {
    const auto& a = acts[i];
    switch (a.kind) {
      case action_kind::store_block:
        store_block(a);
        break;
      case action_kind::hash_piece:
        submit_piece(a.piece);
        break;
      case action_kind::connect:
        if (!stopping_) tasks_.spawn(dial(a.address, a.plaintext));
        break;
      case action_kind::announce:
        if (!stopping_) tasks_.spawn(announce_tier(a.tier, a.event));
        break;
      case action_kind::metadata_received:
        if (!stopping_) on_metadata(a.data);
        break;
      case action_kind::download_complete:
        complete_ = true;
        if (!stopping_) tasks_.spawn(finish_download());
        break;
      case action_kind::seed_limit_reached:
        if (!stopping_) host_.on_torrent_done(*this);
        break;
      case action_kind::dht_lookup:
        if (!stopping_) dht_lookup();
        break;
      case action_kind::dht_node:
        if (auto* d = host_.dht(); d && !stopping_) d->add_node(a.address);
        break;
      case action_kind::log_info:
        spdlog::info("{}", a.text);
        break;
      case action_kind::log_warn:
        spdlog::warn("{}", a.text);
        break;
    }
  }
  acts.clear();
  auto& dirty = logic_->dirty();
  for (const auto key : dirty) {
    auto* st = logic_->find_peer(key);
    if (!st) continue;
    const auto it = conns_.find(key);
    if (it != conns_.end()) {
      if (st->is_closing()) {
        it->second->close(st->closing, st->close_detail);
      } else if (!st->out.empty()) {
        it->second->queue(st->out);
        it->second->flush();
      }
    }
    st->out.clear();
    st->flushed();
  }
  dirty.clear();
}

// ---------------------------------------------------------------- clocks

void torrent::on_tick(double now) {
  if (!running_ || stopping_ || !logic_) return;
  logic_->on_tick(now);
  process();
  maybe_checkpoint();
}

bool torrent::quiet() const {
  // Not in its first 10 s: its first announces and DHT lookup go out on time.
  return running_ && !stopping_ && logic_ && state_ == torrent_state::seeding && conns_.empty() &&
         logic_->connecting_peers() == 0 && host_.now() - logic_started_at_ > 10;
}

void torrent::on_bandwidth_tick(double now) {
  if (!running_ || stopping_ || !logic_ || conns_.empty()) return;
  logic_->on_bandwidth_tick(now);
  process();
  serve_all();
}

void torrent::on_budget_freed(double now) {
  if (!running_ || stopping_ || !logic_ || conns_.empty()) return;
  logic_->on_budget_freed(now);
  process();
}

// ---------------------------------------------------------------- reports

std::int64_t torrent::have_bytes() const {
  // Every piece is piece_length long but the last: no pass over the bits (this runs every
  // second for every stopped torrent of a daemon).
  if (!info_ || have_.size() == 0) return 0;
  const auto n = static_cast<std::int64_t>(have_.count());
  const auto last = static_cast<std::int64_t>(have_.size()) - 1;
  std::int64_t bytes = n * info_->piece_length;
  if (have_.test(static_cast<std::size_t>(last)))
    bytes -= info_->piece_length - info_->piece_size(last);
  return bytes;
}

torrent_figures torrent::figures() const {
  torrent_figures f;
  if (info_) f.bytes_total = info_->total_length;
  if (logic_) {
    f.bytes_done = logic_->verified_bytes();
    f.down_rate = logic_->down_meter().rate;
    f.up_rate = logic_->up_meter().rate;
    f.peers = logic_->connected_peers();
  } else if (info_) {
    f.bytes_done = have_bytes();
  }
  return f;
}

torrent_status torrent::status() const {
  torrent_status s;
  s.name = name();
  s.info_hash = crypto::to_hex(info_hash());
  s.state = state_;
  s.error = error_;
  if (info_) {
    s.pieces_total = info_->num_pieces();
    s.bytes_total = info_->total_length;
  }
  const double now = host_.now();
  s.elapsed_s = started_at_ > 0 ? (ended_at_ > 0 ? ended_at_ : now) - started_at_ : 0;
  s.tracker_state = tracker_state_;
  s.announces_ok = announces_ok_;
  s.announces_refused = announces_refused_;
  s.announces_failed = announces_failed_;
  if (logic_) {
    s.pieces_done = logic_->have_count();
    s.bytes_done = logic_->verified_bytes();
    s.down_rate = logic_->down_meter().rate;
    s.up_rate = logic_->up_meter().rate;
    s.peers_connected = logic_->connected_peers();
    s.peers_connected_by_source = logic_->connected_by_source();
    s.peers_known = static_cast<int>(logic_->book().size());
    s.hash_failures = prior_hash_failures_ + logic_->hash_failures();
    s.downloaded_total = logic_->downloaded_bytes();
    s.uploaded_total = logic_->uploaded_bytes();
    if (logic_->seeding()) s.seeding_s = logic_->seeding_for(now);
    if (!info_) {
      s.metadata_pieces_done = static_cast<std::int64_t>(logic_->metadata().pieces_received());
      s.metadata_pieces_total = static_cast<std::int64_t>(logic_->metadata().pieces_total());
    }
  } else {
    s.pieces_done = static_cast<std::int64_t>(have_.count());
    if (info_) s.bytes_done = have_bytes();
    s.hash_failures = prior_hash_failures_;
    s.downloaded_total = prior_downloaded_;
    s.uploaded_total = prior_uploaded_;
  }
  s.downloaded_carried = carried_downloaded_;
  s.uploaded_carried = carried_uploaded_;
  return s;
}

std::vector<std::pair<std::string, std::uint64_t>> torrent::peers_by_source(
    const swarm::peer_book& book) {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (const auto src :
       {swarm::peer_source::tracker, swarm::peer_source::dht, swarm::peer_source::pex,
        swarm::peer_source::incoming, swarm::peer_source::manual})
    out.emplace_back(std::string(swarm::to_string(src)), book.count(src));
  return out;
}

void torrent::dht_lookup() {
  auto* d = host_.dht();
  if (!d) return;
  // Announce once the files are ours to serve or fetch (not while only fetching the info
  // for `corrent info`).
  const std::uint16_t port = options_.metadata_only ? 0 : host_.listen_port();
  const bool started = d->get_peers(
      info_hash(), port,
      [this](const std::vector<net::peer_address>& peers) {
        if (!logic_ || stopping_) return;
        spdlog::debug("dht: {} peers for {}", peers.size(), text::printable(name()));
        logic_->add_peers(peers, swarm::peer_source::dht, host_.now());
        process();
      },
      [this](std::size_t found) {
        if (logic_) logic_->on_dht_done(found, host_.now());
      });
  if (!started && logic_) logic_->on_dht_done(0, host_.now());
}

std::vector<live_peer> torrent::live_peers() const {
  std::vector<live_peer> out;
  if (!logic_) return out;
  const double pieces = info_ ? static_cast<double>(info_->num_pieces()) : 0;
  for (const auto& [key, p] : logic_->peers()) {
    live_peer l;
    l.address = p->address.ip_string();
    l.port = p->address.port;
    l.client = client_name(p->id);
    l.incoming = !p->outgoing;
    if (const auto it = transports_.find(p->address.to_string()); it != transports_.end())
      l.encrypted = it->second.find("rc4") != std::string::npos;
    l.am_interested = p->am_interested;
    l.peer_choking = p->peer_choking;
    l.peer_interested = p->peer_interested;
    l.am_choking = p->am_choking;
    l.source = l.incoming
                   ? swarm::peer_source::incoming
                   : logic_->book().first_source(p->address).value_or(swarm::peer_source::manual);
    if (pieces > 0 && p->has_bitfield) l.progress = static_cast<double>(p->has.count()) / pieces;
    l.down_rate = p->downloaded.rate;
    l.up_rate = p->uploaded.rate;
    out.push_back(std::move(l));
  }
  return out;
}

torrent_summary torrent::summary() const {
  torrent_summary s;
  s.name = name();
  s.info_hash = crypto::to_hex(info_hash());
  s.complete = (complete_ && moved_ && error_.empty()) ||
               (options_.metadata_only && info_ && error_.empty());
  s.error = error_;
  if (info_) s.bytes_total = info_->total_length;
  const auto st = status();
  s.downloaded_bytes = st.downloaded_total;
  s.uploaded_bytes = st.uploaded_total;
  s.hash_failures = st.hash_failures;
  s.elapsed_s = st.elapsed_s;
  s.first_byte_s = first_byte_s_;
  if (s.first_byte_s < 0 && logic_ && logic_->first_byte_at() >= 0)
    s.first_byte_s = logic_->first_byte_at() - started_at_;
  s.peers_by_source = logic_ ? peers_by_source(logic_->book()) : past_sources_;
  std::map<std::string, peer_summary> by_address;
  for (const auto& [addr, ps] : past_peers_) by_address[ps.address] = ps;
  auto merge = [&](const net::peer_address& addr, const wire::peer_id& id, std::int64_t down,
                   std::int64_t up, int fails, bool banned) {
    auto& ps = by_address[addr.to_string()];
    ps.address = addr.to_string();
    if (ps.client.empty()) ps.client = client_name(id);
    ps.downloaded += down;
    ps.uploaded += up;
    ps.hash_failures += fails;
    ps.banned = ps.banned || banned;
  };
  if (logic_) {
    for (const auto& [addr, rec] : logic_->finished_peers())
      merge(addr, rec.id, rec.downloaded, rec.uploaded, rec.hash_failures,
            logic_->book().is_banned(addr));
    for (const auto& [key, p] : logic_->peers())
      merge(p->address, p->id, p->downloaded.total, p->uploaded.total, p->hash_failures,
            logic_->book().is_banned(p->address));
  }
  for (auto& [a, ps] : by_address) {
    if (const auto it = transports_.find(a); it != transports_.end()) ps.transport = it->second;
    s.peers.push_back(ps);
  }
  s.closes = past_closes_;
  if (logic_) add_closes(s.closes, logic_->closes());
  return s;
}

}  // namespace corrent::io
