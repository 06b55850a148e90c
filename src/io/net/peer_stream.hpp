// io::peer_stream — the transport a peer connection reads and writes through. TCP now;
// protocol encryption (MSE) will wrap a stream and uTP will be another, without the peer
// protocol code knowing which it has. Reads and writes complete with an error code
// (EOF, reset, cancellation are normal outcomes, not exceptions).
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <utility>

namespace corrent::io {

// Bytes read from and written to peers' TCP connections by this process: handshakes,
// messages and payload, as on the wire (after encryption). The daemon's protocol counters.
struct wire_totals {
  std::atomic<std::int64_t> in{0};
  std::atomic<std::int64_t> out{0};
};
wire_totals& process_wire_totals();

class peer_stream {
 public:
  using io_result = std::pair<boost::system::error_code, std::size_t>;
  virtual ~peer_stream() = default;

  // Some bytes into `buf` (at least one, or an error).
  virtual boost::asio::awaitable<io_result> read_some(boost::asio::mutable_buffer buf) = 0;
  // Exactly `buf` bytes (or an error).
  virtual boost::asio::awaitable<io_result> read(boost::asio::mutable_buffer buf) = 0;
  // Every byte of every buffer, in order (or an error).
  virtual boost::asio::awaitable<io_result> write(
      std::span<const boost::asio::const_buffer> bufs) = 0;
  // Ends pending operations (they complete with an error) and the connection.
  virtual void close() = 0;
  // Nothing more will be written: the peer reads what was sent, then the end (TCP: a FIN).
  // Reading goes on.
  virtual void shutdown_send() {}
  virtual bool is_open() const = 0;
  // Bytes written but not yet taken by the peer (TCP: the kernel's send queue). Closing
  // with unread input resets the connection and loses them.
  virtual std::size_t unsent_in_transport() const { return 0; }
  // "tcp" (later "utp", and "+mse" when encrypted), for logs and --stats.
  virtual std::string_view kind() const = 0;
};

// A connected TCP socket, with the options a peer connection wants (no delay, buffers).
class tcp_stream final : public peer_stream {
 public:
  explicit tcp_stream(boost::asio::ip::tcp::socket socket);

  boost::asio::awaitable<io_result> read_some(boost::asio::mutable_buffer buf) override;
  boost::asio::awaitable<io_result> read(boost::asio::mutable_buffer buf) override;
  boost::asio::awaitable<io_result> write(std::span<const boost::asio::const_buffer> bufs) override;
  void close() override;
  void shutdown_send() override;
  bool is_open() const override { return socket_.is_open(); }
  std::size_t unsent_in_transport() const override;
  std::string_view kind() const override { return "tcp"; }

 private:
  boost::asio::ip::tcp::socket socket_;
};

}  // namespace corrent::io
