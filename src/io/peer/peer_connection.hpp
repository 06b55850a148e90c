// io::peer_connection — one peer's connection after its handshake (BEP 3): frames the bytes
// of a peer_stream into messages (wire::decoder) and reports them to a peer_events, and
// writes what its owner queues. read_loop || write_loop || watchdog: when any ends (EOF,
// error, protocol violation, idle timeout, close()), the others are cancelled and
// on_closed() is the last report. The protocol decisions are the owner's (core's
// torrent_logic): this class moves and frames bytes.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/net/peer_address.hpp"
#include "core/peer/close_reason.hpp"
#include "core/swarm/piece_picker.hpp"
#include "core/wire/codec.hpp"
#include "io/net/peer_stream.hpp"
#include "io/peer/peer_events.hpp"

namespace corrent::io {

class peer_connection : public std::enable_shared_from_this<peer_connection> {
 public:
  using clock = std::chrono::steady_clock;

  peer_connection(boost::asio::any_io_executor ex, std::unique_ptr<peer_stream> stream,
                  peer_events& events, swarm::peer_key key, net::peer_address address,
                  bool outgoing);

  // The connection's whole life; `self` keeps it alive while it runs. Ends with
  // events.on_closed().
  static boost::asio::awaitable<void> run(std::shared_ptr<peer_connection> self);

  // Queues encoded messages: `bytes` is taken (swapped with an empty string of spare
  // capacity), so the caller's buffer is reused without a copy.
  void queue(std::string& bytes);
  // Queues ready-made messages (served blocks) as they are: written with the rest by one
  // gathered write, never copied. `bytes` stay valid while `owner` lives.
  void send(std::shared_ptr<const void> owner, std::string_view bytes);
  void flush() { wake_.cancel(); }
  // Bytes queued or being written.
  std::size_t unsent_bytes() const;
  // Nothing queued or being written (or the connection is closed).
  bool output_idle() const { return closed_ || (queue_.empty() && writing_.empty()); }
  // And the transport has passed every byte on (before a close that must not lose them).
  bool output_delivered() const {
    return closed_ || (output_idle() && stream_->unsent_in_transport() == 0);
  }
  bool is_closed() const { return closed_; }
  // Ends our side once everything queued is written (a FIN after the data); the peer's
  // input is still read until it hangs up. A close with its requests unread would reset
  // the connection instead.
  void finish_sending();
  // The first reason given stays.
  void close(peer::close_reason why, std::string detail = {});
  peer::close_reason close_reason() const { return reason_; }
  const std::string& close_detail() const { return detail_; }
  // "reason" or "reason: detail", for the log.
  std::string close_text() const;
  std::string_view transport() const { return stream_->kind(); }

  const swarm::peer_key key;
  const net::peer_address address;
  const bool outgoing;
  int reads_in_flight = 0;  // upload batches being read from disk for it

 private:
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  boost::asio::awaitable<void> watchdog();

  std::unique_ptr<peer_stream> stream_;
  peer_events& events_;
  boost::asio::steady_timer wake_;
  wire::decoder decoder_;
  // Output in order: small encoded messages, and shared buffers of served blocks.
  struct chunk {
    std::string small;
    std::shared_ptr<const void> owner;  // set: `big` is the bytes, not `small`
    std::string_view big;
    std::size_t size() const { return owner ? big.size() : small.size(); }
  };
  std::deque<chunk> queue_;         // appended to by the owner
  std::deque<chunk> writing_;       // being written
  std::vector<std::string> spare_;  // cleared small strings, capacity kept
  clock::time_point last_receive_;
  clock::time_point send_progress_at_;  // a write began or part of one completed
  std::size_t read_chunk_ = 16 * 1024;  // grows while reads fill it (peer_connection.cpp)
  bool closed_ = false;
  bool finishing_ = false;  // finish_sending(): no more writes once the queue is empty
  peer::close_reason reason_ = peer::close_reason::none;
  std::string detail_;
};

}  // namespace corrent::io
