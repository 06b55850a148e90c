// io::mse_stream — a peer_stream after the MSE/PE handshake (core/mse): what comes in is
// decrypted in place as it is read, what goes out is encrypted (into a buffer of its own:
// the blocks we serve are shared, pooled buffers that must not change) — or neither, when
// plaintext was chosen. Bytes that arrived with the handshake (`prefix`: the peer's
// initial payload and what followed) are read first. Also used with no cipher at all to
// put back bytes read while telling a plain handshake from an encrypted one.
#pragma once

#include <string>

#include "core/mse/stream_cipher.hpp"
#include "io/net/peer_stream.hpp"

namespace corrent::io {

class mse_stream final : public peer_stream {
 public:
  mse_stream(std::unique_ptr<peer_stream> inner, mse::stream_cipher cipher, std::string prefix,
             std::string kind);

  boost::asio::awaitable<io_result> read_some(boost::asio::mutable_buffer buf) override;
  boost::asio::awaitable<io_result> read(boost::asio::mutable_buffer buf) override;
  boost::asio::awaitable<io_result> write(std::span<const boost::asio::const_buffer> bufs) override;
  void close() override { inner_->close(); }
  void shutdown_send() override { inner_->shutdown_send(); }
  bool is_open() const override { return inner_->is_open(); }
  std::size_t unsent_in_transport() const override { return inner_->unsent_in_transport(); }
  std::string_view kind() const override { return kind_; }

 private:
  std::unique_ptr<peer_stream> inner_;
  mse::stream_cipher cipher_;
  std::string prefix_;
  std::size_t prefix_at_ = 0;
  std::string out_;  // encrypted copy of what is being written
  std::string kind_;
};

}  // namespace corrent::io
