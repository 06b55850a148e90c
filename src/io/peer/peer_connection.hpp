// io::peer_connection — one TCP connection to one peer (BEP 3), run as coroutines on the
// session's event loop: handshake, then read_loop || write_loop || watchdog — when any
// ends (EOF, error, protocol violation, timeout, close()), the others are cancelled.
// The protocol decisions are the session's (and core's): this class moves bytes, frames
// them with wire::decoder and keeps the per-connection state the session reads.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/net/peer_address.hpp"
#include "core/swarm/bitfield.hpp"
#include "core/swarm/piece_picker.hpp"
#include "core/wire/codec.hpp"

namespace corrent::io {

class torrent_session;

// A byte counter with a smoothed rate (updated by the session once a second).
struct rate_meter {
  std::int64_t total = 0;
  std::int64_t last_total = 0;
  double rate = 0;  // bytes per second
  void tick(double seconds) {
    const double inst = static_cast<double>(total - last_total) / seconds;
    rate = rate == 0 ? inst : 0.6 * inst + 0.4 * rate;
    last_total = total;
  }
};

class peer_connection : public std::enable_shared_from_this<peer_connection> {
 public:
  using clock = std::chrono::steady_clock;

  peer_connection(torrent_session& session, boost::asio::ip::tcp::socket socket,
                  net::peer_address address, swarm::peer_key key, bool outgoing);

  // The connection's whole life; `self` keeps it alive while it runs.
  static boost::asio::awaitable<void> run(std::shared_ptr<peer_connection> self);
  // Connects to `address` first, then run().
  static boost::asio::awaitable<void> connect_and_run(std::shared_ptr<peer_connection> self,
                                                      std::chrono::seconds timeout);

  // Where to encode a message (wire::encode_*); flush() wakes the writer. The string is
  // valid until the next out() or send().
  std::string& out();
  // Queues ready-made messages (served blocks) as they are: written with the rest by one
  // gathered write, never copied.
  // `bytes` stay valid while `owner` lives.
  void send(std::shared_ptr<const void> owner, std::string_view bytes);
  void flush() { wake_.cancel(); }
  // Bytes queued or being written.
  std::size_t unsent_bytes() const;
  // Nothing queued or being written (or the connection is closed).
  bool output_idle() const { return closed_ || (queue_.empty() && writing_.empty()); }
  bool is_closed() const { return closed_; }
  void close(std::string reason);

  // --- state read and written by the session ---
  const net::peer_address address;
  const swarm::peer_key key;
  const bool outgoing;
  wire::peer_id remote_id{};
  bool handshake_done = false;
  bool am_choking = true;
  bool am_interested = false;
  bool peer_choking = true;
  bool peer_interested = false;
  bool has_bitfield = false;  // we know its pieces (bitfield, have_all/none, or haves)
  swarm::bitfield has;
  std::deque<swarm::block_ref> requests;  // outstanding, oldest first
  // Holds one of the session's download slots (swarm::download_slots): kept while our own
  // caps pause its requests, given up when it chokes us or has had none for a second.
  bool download_slot = false;
  std::deque<swarm::block_ref> incoming;  // the peer's requests we have yet to serve
  int reads_in_flight = 0;                // blocks being read from disk for it
  rate_meter downloaded;
  rate_meter uploaded;
  int hash_failures = 0;
  bool parole = false;  // downloads whole pieces alone (swarm::piece_picker, exclusive)
  clock::time_point last_block_at;
  clock::time_point connected_at;
  std::string close_reason;

 private:
  boost::asio::awaitable<bool> handshake();
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  boost::asio::awaitable<void> watchdog();

  torrent_session& session_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer wake_;
  wire::decoder decoder_;
  // Output in order: small encoded messages, and shared buffers of served blocks.
  struct chunk {
    std::string small;
    std::shared_ptr<const void> owner;  // set: `big` is the bytes, not `small`
    std::string_view big;
    std::size_t size() const { return owner ? big.size() : small.size(); }
  };
  std::deque<chunk> queue_;         // appended to by the session
  std::deque<chunk> writing_;       // being written
  std::vector<std::string> spare_;  // cleared small strings, capacity kept
  clock::time_point last_receive_;
  bool closed_ = false;
};

}  // namespace corrent::io
