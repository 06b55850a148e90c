#include "core/daemon/torrent_list.hpp"

#include <gtest/gtest.h>

namespace corrent::daemon {
namespace {

TEST(TorrentList, RoundTripsEveryField) {
  std::vector<torrent_entry> list{
      {std::string(40, 'a'), "", "/srv/dl", 1765000000, false},
      {std::string(40, '0'), "magnet:?xt=urn:btih:" + std::string(40, '0'), "/srv/dl/tv", 7, true},
  };
  auto back = decode_torrent_list(encode_torrent_list(list));
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ(*back, list);
  auto empty = decode_torrent_list(encode_torrent_list({}));
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
}

TEST(TorrentList, RefusesWhatIsNotWellFormed) {
  const std::string ih(40, 'b');
  auto entry = [&](std::string body) { return "d8:torrentsl" + body + "e7:versioni1ee"; };
  const std::string good = "d5:addedi1e9:info_hash40:" + ih + "6:pausedi0e9:save_path2:/xe";
  ASSERT_TRUE(decode_torrent_list(entry(good)).has_value());
  EXPECT_FALSE(decode_torrent_list("").has_value());
  EXPECT_FALSE(decode_torrent_list("d8:torrentslee").has_value()) << "no version";
  EXPECT_FALSE(decode_torrent_list("d8:torrentsle7:versioni2ee").has_value()) << "future version";
  EXPECT_FALSE(decode_torrent_list(entry(good + good)).has_value()) << "listed twice";
  EXPECT_FALSE(decode_torrent_list(entry("d5:addedi1e9:info_hash40:" + std::string(40, 'B') +
                                         "6:pausedi0e9:save_path2:/xe"))
                   .has_value())
      << "upper-case hex";
  EXPECT_FALSE(
      decode_torrent_list(entry("d5:addedi1e9:info_hash40:" + ih + "6:pausedi0e9:save_path1:xe"))
          .has_value())
      << "relative save path";
  EXPECT_FALSE(decode_torrent_list(entry("d9:info_hash40:" + ih + "6:pausedi0e9:save_path2:/xe"))
                   .has_value())
      << "no added time";
}

TEST(TorrentList, InfoHashHexIsFortyLowercaseHexDigits) {
  EXPECT_TRUE(is_info_hash_hex(std::string(40, 'f')));
  EXPECT_FALSE(is_info_hash_hex(std::string(39, 'f')));
  EXPECT_FALSE(is_info_hash_hex(std::string(40, 'g')));
  EXPECT_FALSE(is_info_hash_hex("../../../../../../../../../../etc/passwd"));
}

}  // namespace
}  // namespace corrent::daemon
