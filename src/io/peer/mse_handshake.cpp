#include "io/peer/mse_handshake.hpp"

#include <openssl/rand.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/mse/dh.hpp"
#include "core/mse/initiator.hpp"
#include "io/net/mse_stream.hpp"

namespace corrent::io {
namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;

namespace {

template <class T>
void random_fill(T& bytes) {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size())) !=
      1)
    for (auto& b : bytes) b = static_cast<std::remove_reference_t<decltype(b)>>(std::rand());
}

// Random padding of 0..max_padding bytes.
std::string random_pad() {
  std::array<std::uint8_t, 2> n{};
  random_fill(n);
  std::string pad((n[0] << 8 | n[1]) % (mse::max_padding + 1), '\0');
  random_fill(pad);
  return pad;
}

std::string kind_of(const peer_stream& inner, mse::method m) {
  return std::string(inner.kind()) + (m == mse::method::rc4 ? "+mse(rc4)" : "+mse(plain)");
}

// Reads some bytes or fails at the deadline.
asio::awaitable<std::pair<peer::close_reason, std::size_t>> read_within(
    peer_stream& s, std::array<char, 2048>& buf, std::chrono::steady_clock::time_point deadline,
    std::string& detail) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_at(deadline);
  auto r = co_await (s.read_some(asio::buffer(buf)) || timer.async_wait(as_tuple(use_awaitable)));
  if (r.index() == 1) co_return std::pair{peer::close_reason::handshake_timeout, std::size_t{0}};
  auto [ec, n] = std::get<0>(r);
  if (ec) {
    detail = ec.message();
    co_return std::pair{
        ec == asio::error::eof ? peer::close_reason::peer_closed : peer::close_reason::io_error,
        std::size_t{0}};
  }
  co_return std::pair{peer::close_reason::none, n};
}

asio::awaitable<peer::close_reason> write_within(peer_stream& s, const std::string& bytes,
                                                 std::chrono::steady_clock::time_point deadline,
                                                 std::string& detail) {
  using namespace asio::experimental::awaitable_operators;
  if (bytes.empty()) co_return peer::close_reason::none;
  const asio::const_buffer buf = asio::buffer(bytes);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_at(deadline);
  auto r = co_await (s.write(std::span(&buf, 1)) || timer.async_wait(as_tuple(use_awaitable)));
  if (r.index() == 1) co_return peer::close_reason::handshake_timeout;
  if (auto [ec, n] = std::get<0>(r); ec) {
    detail = ec.message();
    co_return peer::close_reason::io_error;
  }
  co_return peer::close_reason::none;
}

// Feeds what arrives to `side` (initiator or responder) and sends what it answers, until
// it is done or fails.
template <class Side>
asio::awaitable<mse_outcome> run(Side& side, peer_stream& s, std::string first,
                                 std::chrono::steady_clock::time_point deadline) {
  mse_outcome out;
  std::array<char, 2048> buf{};
  if (auto why = co_await write_within(s, side.take_output(), deadline, out.detail);
      why != peer::close_reason::none) {
    out.why = why;
    co_return out;
  }
  std::string in = std::move(first);
  for (;;) {
    if (!in.empty()) {
      out.any_reply = true;
      if (auto r = side.feed(in); !r) {
        out.why = peer::close_reason::bad_encryption;
        out.detail = r.error().message();
        co_return out;
      }
      in.clear();
      if (auto why = co_await write_within(s, side.take_output(), deadline, out.detail);
          why != peer::close_reason::none) {
        out.why = why;
        co_return out;
      }
    }
    if (side.done()) co_return out;
    auto [why, n] = co_await read_within(s, buf, deadline, out.detail);
    if (why != peer::close_reason::none) {
      out.why = why;
      co_return out;
    }
    in.assign(buf.data(), n);
  }
}

}  // namespace

asio::awaitable<mse_outcome> mse_connect(std::unique_ptr<peer_stream> s,
                                         const crypto::sha1_digest& info_hash,
                                         std::string our_handshake, std::uint32_t provide,
                                         std::chrono::steady_clock::time_point deadline) {
  mse::initiator_params p;
  p.info_hash = info_hash;
  // A public key starting with 0x13 looks like a plain handshake's first byte, and some
  // clients (Transmission 3.00) decide by that byte alone: draw again (1 in 256).
  do {
    random_fill(p.key);
  } while (mse::public_key(p.key)[0] == 0x13);
  p.pad_a = random_pad();
  p.provide = provide;
  p.initial_payload = std::move(our_handshake);
  auto side = mse::initiator::create(std::move(p));
  if (!side) {
    mse_outcome fail;
    fail.why = peer::close_reason::bad_encryption;
    fail.detail = side.error().message();
    co_return fail;
  }
  auto out = co_await run(*side, *s, {}, deadline);
  if (out.why != peer::close_reason::none) co_return out;
  out.selected = side->selected().value_or(mse::method::plaintext);
  const auto kind = kind_of(*s, out.selected);
  out.stream =
      std::make_unique<mse_stream>(std::move(s), side->cipher(), side->take_leftover(), kind);
  co_return out;
}

asio::awaitable<mse_outcome> mse_accept(std::unique_ptr<peer_stream> s, std::string first,
                                        std::uint32_t allowed, bool prefer_rc4,
                                        mse::torrent_finder find,
                                        std::chrono::steady_clock::time_point deadline) {
  mse::responder_params p;
  random_fill(p.key);
  p.pad_b = random_pad();
  p.allowed = allowed;
  p.prefer_rc4 = prefer_rc4;
  p.find_torrent = std::move(find);
  auto side = mse::responder::create(std::move(p));
  if (!side) {
    mse_outcome fail;
    fail.why = peer::close_reason::bad_encryption;
    fail.detail = side.error().message();
    co_return fail;
  }
  auto out = co_await run(*side, *s, std::move(first), deadline);
  if (out.why != peer::close_reason::none) co_return out;
  out.selected = side->selected().value_or(mse::method::plaintext);
  out.info_hash = side->info_hash();
  const auto kind = kind_of(*s, out.selected);
  std::string prefix = side->take_initial_payload();
  prefix += side->take_leftover();
  out.stream = std::make_unique<mse_stream>(std::move(s), side->cipher(), std::move(prefix), kind);
  co_return out;
}

}  // namespace corrent::io
