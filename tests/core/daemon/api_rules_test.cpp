#include "core/daemon/api_rules.hpp"

#include <gtest/gtest.h>

namespace corrent::daemon {
namespace {

const std::string dl = "/srv/dl";

TEST(ApiRules, SavePathsStayInsideTheDownloadDirectory) {
  EXPECT_EQ(resolve_save_path(dl, ""), dl);
  EXPECT_EQ(resolve_save_path(dl, "tv"), std::string("/srv/dl/tv"));
  EXPECT_EQ(resolve_save_path(dl, "tv/"), std::string("/srv/dl/tv"));
  EXPECT_EQ(resolve_save_path(dl, "/srv/dl"), dl);
  EXPECT_EQ(resolve_save_path(dl, "/srv/dl/"), dl);
  EXPECT_EQ(resolve_save_path(dl, "/srv/dl/a/../b"), std::string("/srv/dl/b"));
  EXPECT_EQ(resolve_save_path(dl, "a/./b"), std::string("/srv/dl/a/b"));
  EXPECT_FALSE(resolve_save_path(dl, ".."));
  EXPECT_FALSE(resolve_save_path(dl, "../dl2"));
  EXPECT_FALSE(resolve_save_path(dl, "a/../../etc"));
  EXPECT_FALSE(resolve_save_path(dl, "/etc"));
  EXPECT_FALSE(resolve_save_path(dl, "/srv/dl2")) << "a sibling sharing the prefix";
  EXPECT_FALSE(resolve_save_path(dl, "/srv/dl/../dl2"));
  EXPECT_FALSE(resolve_save_path(dl, std::string_view("a\0b", 3)));
  EXPECT_EQ(resolve_save_path(dl, "a//b/"), std::string("/srv/dl/a/b"));
  EXPECT_FALSE(resolve_save_path(dl, "/../../srv/dl/../etc"));
}

TEST(ApiRules, AnAddedPathMustBeAFileBelowTheDownloadDirectory) {
  EXPECT_TRUE(is_inside(dl, "/srv/dl/x.torrent"));
  EXPECT_TRUE(is_inside(dl, "/srv/dl/sub/x.torrent"));
  EXPECT_FALSE(is_inside(dl, "/srv/dl"));
  EXPECT_FALSE(is_inside(dl, "/srv/dl/"));
  EXPECT_FALSE(is_inside(dl, "x.torrent")) << "relative";
  EXPECT_FALSE(is_inside(dl, "/etc/shadow"));
  EXPECT_FALSE(is_inside(dl, "/srv/dl/../../etc/shadow"));
  EXPECT_FALSE(is_inside(dl, "/srv/dl2/x.torrent"));
}

TEST(ApiRules, OnlyLoopbackHostsAreOurs) {
  for (const char* ok : {"", "127.0.0.1", "127.0.0.1:9080", "127.9.8.7:1", "localhost",
                         "LocalHost:9080", "[::1]", "[::1]:9080"}) {
    EXPECT_TRUE(is_loopback_host(ok)) << ok;
  }
  for (const char* bad :
       {"evil.example", "evil.example:9080", "128.0.0.1", "127.0.0", "127.0.0.1.evil",
        "127.0.0.256", "[::2]:9080", "[::1", "[::1]x", "localhost.evil", "0127.0.0.1"}) {
    EXPECT_FALSE(is_loopback_host(bad)) << bad;
  }
}

TEST(ApiRules, ChangesFromAnotherOriginAreRefused) {
  EXPECT_TRUE(is_same_origin("", "127.0.0.1:9080"));
  EXPECT_TRUE(is_same_origin("http://127.0.0.1:9080", "127.0.0.1:9080"));
  EXPECT_FALSE(is_same_origin("http://evil.example", "127.0.0.1:9080"));
  EXPECT_FALSE(is_same_origin("null", "127.0.0.1:9080"));
  EXPECT_FALSE(is_same_origin("https://127.0.0.1:9080", "127.0.0.1:9080"));
  EXPECT_FALSE(is_same_origin("http://127.0.0.1:9081", "127.0.0.1:9080"));
  EXPECT_FALSE(is_same_origin("http://", ""));
}

TEST(ApiRules, ServerSentEventsAreFramedAndOneLine) {
  EXPECT_EQ(format_sse({7, "added", "{\"id\":\"ab\"}"}),
            "id: 7\nevent: added\ndata: {\"id\":\"ab\"}\n\n");
  EXPECT_EQ(format_sse({8, "error", "a\nb\rc"}), "id: 8\nevent: error\ndata: a b c\n\n");
}

}  // namespace
}  // namespace corrent::daemon
