#include "core/peer/peer_state.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "core/wire/codec.hpp"

namespace corrent::peer {
namespace {

using swarm::block_ref;

// The messages in `out`, decoded.
std::vector<wire::message_type> sent(const std::string& out) {
  wire::decoder d;
  d.feed(out);
  std::vector<wire::message_type> types;
  for (;;) {
    auto m = d.next();
    EXPECT_TRUE(m);
    if (!m || !*m) break;
    types.push_back((*m)->type);
  }
  return types;
}

peer_state make(std::vector<swarm::peer_key>* dirty = nullptr) {
  return peer_state(7, net::peer_address::v4(0x7f000001, 6881), true, dirty);
}

TEST(PeerState, ChokeFromThePeerVoidsOurRequests) {
  auto p = make();
  p.on_unchoke();
  p.send_request({0, 0, 16384}, 0);
  p.send_request({0, 16384, 16384}, 0);
  std::vector<block_ref> dropped;
  p.on_choke(dropped);
  EXPECT_TRUE(p.peer_choking);
  EXPECT_TRUE(p.requests.empty());
  ASSERT_EQ(dropped.size(), 2u);
  EXPECT_EQ(dropped[1], (block_ref{0, 16384, 16384}));
}

TEST(PeerState, RequestsWhileWeChokeAreIgnoredAndNeverQueued) {
  auto p = make();
  EXPECT_TRUE(p.am_choking);
  EXPECT_EQ(p.on_request({0, 0, 16384}, true), peer_state::request_verdict::ignored);
  EXPECT_TRUE(p.incoming.empty());
  p.send_unchoke();
  EXPECT_EQ(p.on_request({0, 0, 16384}, true), peer_state::request_verdict::queued);
  EXPECT_EQ(p.incoming.size(), 1u);
}

TEST(PeerState, OurChokeDiscardsTheirQueuedRequests) {
  auto p = make();
  p.send_unchoke();
  p.on_request({1, 0, 16384}, true);
  p.on_request({1, 16384, 16384}, true);
  p.send_choke();
  EXPECT_TRUE(p.incoming.empty());
  EXPECT_EQ(sent(p.out), (std::vector{wire::message_type::unchoke, wire::message_type::choke}));
}

TEST(PeerState, RequestForAPieceWeLackIsIgnored) {
  auto p = make();
  p.send_unchoke();
  EXPECT_EQ(p.on_request({3, 0, 16384}, false), peer_state::request_verdict::ignored);
  EXPECT_TRUE(p.incoming.empty());
}

TEST(PeerState, TooManyQueuedRequestsIsAFlood) {
  auto p = make();
  p.send_unchoke();
  for (std::size_t i = 0; i < peer_state::max_queued_requests; ++i) {
    ASSERT_EQ(p.on_request({static_cast<std::uint32_t>(i), 0, 16384}, true),
              peer_state::request_verdict::queued);
  }
  EXPECT_EQ(p.on_request({0, 16384, 16384}, true), peer_state::request_verdict::flood);
}

TEST(PeerState, CancelRemovesOnlyThatQueuedRequest) {
  auto p = make();
  p.send_unchoke();
  p.on_request({0, 0, 16384}, true);
  p.on_request({0, 16384, 16384}, true);
  p.on_cancel({0, 0, 16384});
  p.on_cancel({5, 0, 16384});  // never asked: nothing happens
  ASSERT_EQ(p.incoming.size(), 1u);
  EXPECT_EQ(p.incoming.front(), (block_ref{0, 16384, 16384}));
}

TEST(PeerState, BlocksAndRejectsCountOnlyForOutstandingRequests) {
  auto p = make();
  p.send_request({2, 0, 16384}, 0);
  EXPECT_FALSE(p.on_block({2, 16384, 16384}));  // never asked
  EXPECT_TRUE(p.on_block({2, 0, 16384}));
  EXPECT_FALSE(p.on_block({2, 0, 16384}));  // a second copy: not outstanding any more
  p.send_request({3, 0, 16384}, 0);
  EXPECT_TRUE(p.on_reject({3, 0, 16384}));
  EXPECT_TRUE(p.requests.empty());
}

TEST(PeerState, CancelIsSentOnlyForAnOutstandingRequest) {
  auto p = make();
  EXPECT_FALSE(p.send_cancel({0, 0, 16384}));
  EXPECT_TRUE(p.out.empty());
  p.send_request({0, 0, 16384}, 0);
  EXPECT_TRUE(p.send_cancel({0, 0, 16384}));
  EXPECT_TRUE(p.requests.empty());
  EXPECT_EQ(sent(p.out), (std::vector{wire::message_type::request, wire::message_type::cancel}));
}

TEST(PeerState, InterestIsSentOnlyWhenItChanges) {
  auto p = make();
  p.send_interested(false);
  EXPECT_TRUE(p.out.empty());
  p.send_interested(true);
  p.send_interested(true);
  p.send_interested(false);
  EXPECT_EQ(sent(p.out),
            (std::vector{wire::message_type::interested, wire::message_type::not_interested}));
}

TEST(PeerState, IsListedDirtyOnceUntilFlushed) {
  std::vector<swarm::peer_key> dirty;
  auto p = make(&dirty);
  p.send_have(1);
  p.send_have(2);
  EXPECT_EQ(dirty, std::vector<swarm::peer_key>{7});
  p.out.clear();
  p.flushed();
  dirty.clear();
  p.close(close_reason::banned, "test");
  EXPECT_EQ(dirty, std::vector<swarm::peer_key>{7});
  EXPECT_EQ(p.closing, close_reason::banned);
  p.close(close_reason::snubbed);  // the first reason stays
  EXPECT_EQ(p.closing, close_reason::banned);
}

TEST(CloseReason, EveryReasonHasItsOwnText) {
  std::set<std::string_view> texts;
  for (std::size_t i = 0; i < close_reason_count; ++i)
    texts.insert(to_string(static_cast<close_reason>(i)));
  EXPECT_EQ(texts.size(), close_reason_count);
  EXPECT_EQ(to_string(close_reason::request_out_of_range), "request out of range");
  EXPECT_EQ(to_string(close_reason::torrent_stopping), "shutting down");
}

}  // namespace
}  // namespace corrent::peer
