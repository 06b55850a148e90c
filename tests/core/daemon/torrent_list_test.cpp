#include "core/daemon/torrent_list.hpp"

#include <gtest/gtest.h>

namespace corrent::daemon {
namespace {

TEST(TorrentList, RoundTripsEveryField) {
  saved_state state;
  state.torrents = {
      {std::string(40, 'a'), "", "/srv/dl", 1765000000, false, 0, 0, 0, 0, false, false, 0, "", {}},
      {std::string(40, '0'),
       "magnet:?xt=urn:btih:" + std::string(40, '0'),
       "/srv/dl/tv",
       7,
       true,
       1 << 20,
       512 << 10,
       1500,
       3600,
       true,
       true,
       0,
       "",
       {}},
  };
  state.torrents[1].completed_at = 1765000100;
  state.torrents[1].category = "tv";
  state.torrents[1].tags = {"hd", "x y"};
  state.max_download_rate = 10 << 20;
  state.max_upload_rate = 1;
  state.categories = {{"movies", "/srv/dl/movies"}, {"tv", ""}};  // sorted, as kept
  state.tags = {"hd", "x y"};
  auto back = decode_state(encode_state(state));
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ(*back, state);
  auto empty = decode_state(encode_state({}));
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->torrents.empty());
  EXPECT_EQ(empty->max_download_rate, 0);
}

TEST(TorrentList, CategoriesAreWrittenSortedByName) {
  saved_state state;
  state.categories = {{"b", "/2"}, {"a", "/1"}};
  auto back = decode_state(encode_state(state));
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ(back->categories,
            (std::vector<std::pair<std::string, std::string>>{{"a", "/1"}, {"b", "/2"}}));
}

TEST(TorrentList, RefusesWhatIsNotWellFormed) {
  const std::string ih(40, 'b');
  auto entry = [&](std::string body) { return "d8:torrentsl" + body + "e7:versioni1ee"; };
  const std::string good = "d5:addedi1e9:info_hash40:" + ih + "6:pausedi0e9:save_path2:/xe";
  ASSERT_TRUE(decode_state(entry(good)).has_value());
  EXPECT_FALSE(decode_state("").has_value());
  EXPECT_FALSE(decode_state("d8:torrentslee").has_value()) << "no version";
  EXPECT_FALSE(decode_state("d8:torrentsle7:versioni2ee").has_value()) << "future version";
  EXPECT_FALSE(decode_state(entry(good + good)).has_value()) << "listed twice";
  EXPECT_FALSE(decode_state(entry("d5:addedi1e9:info_hash40:" + std::string(40, 'B') +
                                  "6:pausedi0e9:save_path2:/xe"))
                   .has_value())
      << "upper-case hex";
  EXPECT_FALSE(decode_state(entry("d5:addedi1e9:info_hash40:" + ih + "6:pausedi0e9:save_path1:xe"))
                   .has_value())
      << "relative save path";
  EXPECT_FALSE(
      decode_state(entry("d9:info_hash40:" + ih + "6:pausedi0e9:save_path2:/xe")).has_value())
      << "no added time";
  EXPECT_FALSE(decode_state(entry("d5:addedi1e9:info_hash40:" + ih +
                                  "15:max_upload_ratei-1e6:pausedi0e9:save_path2:/xe"))
                   .has_value())
      << "a negative limit";
  EXPECT_FALSE(decode_state(entry("d5:addedi1e8:categoryi3e9:info_hash40:" + ih +
                                  "6:pausedi0e9:save_path2:/xe"))
                   .has_value())
      << "a category that is not a string";
  EXPECT_FALSE(decode_state(entry("d5:addedi1e9:info_hash40:" + ih +
                                  "6:pausedi0e9:save_path2:/x4:tagsli1eee"))
                   .has_value())
      << "a tag that is not a string";
  EXPECT_FALSE(decode_state("d10:categoriesd2:tvi1ee8:torrentsle7:versioni1ee").has_value())
      << "a category without a save path";
}

TEST(TorrentList, InfoHashHexIsFortyLowercaseHexDigits) {
  EXPECT_TRUE(is_info_hash_hex(std::string(40, 'f')));
  EXPECT_FALSE(is_info_hash_hex(std::string(39, 'f')));
  EXPECT_FALSE(is_info_hash_hex(std::string(40, 'g')));
  EXPECT_FALSE(is_info_hash_hex("../../../../../../../../../../etc/passwd"));
}

}  // namespace
}  // namespace corrent::daemon
