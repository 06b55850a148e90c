#include "io/net/mse_stream.hpp"

#include <algorithm>
#include <cstring>

namespace corrent::io {
namespace asio = boost::asio;

mse_stream::mse_stream(std::unique_ptr<peer_stream> inner, mse::stream_cipher cipher,
                       std::string prefix, std::string kind)
    : inner_(std::move(inner)),
      cipher_(std::move(cipher)),
      prefix_(std::move(prefix)),
      kind_(std::move(kind)) {}

asio::awaitable<peer_stream::io_result> mse_stream::read_some(asio::mutable_buffer buf) {
  if (buf.size() == 0) co_return io_result{{}, 0};
  if (prefix_at_ < prefix_.size()) {
    const std::size_t n = std::min(buf.size(), prefix_.size() - prefix_at_);
    std::memcpy(buf.data(), prefix_.data() + prefix_at_, n);  // already decrypted
    prefix_at_ += n;
    if (prefix_at_ == prefix_.size()) std::string().swap(prefix_);
    if (prefix_.empty()) prefix_at_ = 0;
    co_return io_result{{}, n};
  }
  auto [ec, n] = co_await inner_->read_some(buf);
  cipher_.decrypt(std::span(static_cast<char*>(buf.data()), n));
  co_return io_result{ec, n};
}

asio::awaitable<peer_stream::io_result> mse_stream::read(asio::mutable_buffer buf) {
  std::size_t done = 0;
  while (done < buf.size()) {
    auto [ec, n] =
        co_await read_some(asio::buffer(static_cast<char*>(buf.data()) + done, buf.size() - done));
    done += n;
    if (ec) co_return io_result{ec, done};
  }
  co_return io_result{{}, done};
}

asio::awaitable<peer_stream::io_result> mse_stream::write(
    std::span<const asio::const_buffer> bufs) {
  if (!cipher_.encrypted()) co_return co_await inner_->write(bufs);
  out_.clear();
  for (const auto& b : bufs) out_.append(static_cast<const char*>(b.data()), b.size());
  cipher_.encrypt(std::span(out_.data(), out_.size()));
  const asio::const_buffer one = asio::buffer(out_);
  co_return co_await inner_->write(std::span(&one, 1));
}

}  // namespace corrent::io
