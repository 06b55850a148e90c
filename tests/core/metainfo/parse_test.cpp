#include "core/metainfo/parse.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/bencode/errc.hpp"
#include "core/crypto/sha1.hpp"

namespace corrent::metainfo {
namespace {

// 20 bytes of piece hash per piece, written out so the bytes are visible.
std::string hashes(int n) {
  return std::string(static_cast<std::size_t>(n) * 20, 'h');
}

std::string single(std::string_view extra_info = "", std::int64_t length = 40000, int pieces = 3) {
  std::string info = "d6:lengthi" + std::to_string(length) +
                     "e4:name5:a.bin12:piece lengthi16384e6:pieces" + std::to_string(pieces * 20) +
                     ":" + hashes(pieces) + std::string(extra_info) + "e";
  return "d8:announce20:http://t.example/ann4:info" + info + "e";
}

std::string multi(std::string_view files, std::int64_t total, std::string_view name = "4:root") {
  const std::int64_t pieces = (total + 16383) / 16384;
  return "d4:infod5:filesl" + std::string(files) + "e4:name" + std::string(name) +
         "12:piece lengthi16384e6:pieces" + std::to_string(pieces * 20) + ":" +
         hashes(static_cast<int>(pieces)) + "ee";
}

std::string file(std::string_view path_list, std::int64_t length) {
  return "d6:lengthi" + std::to_string(length) + "e4:pathl" + std::string(path_list) + "ee";
}

TEST(MetainfoParse, ParsesSingleFileTorrent) {
  const std::string bytes = single();
  auto t = parse_torrent(bytes);
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(t->name, "a.bin");
  EXPECT_FALSE(t->multi_file);
  EXPECT_EQ(t->total_length, 40000);
  EXPECT_EQ(t->piece_length, 16384);
  EXPECT_EQ(t->num_pieces(), 3);
  EXPECT_EQ(t->piece_size(2), 40000 - 2 * 16384);
  ASSERT_EQ(t->files.size(), 1u);
  EXPECT_EQ(t->files[0].path, "a.bin");
  ASSERT_EQ(t->trackers.size(), 1u);
  EXPECT_EQ(t->trackers[0][0], "http://t.example/ann");
}

TEST(MetainfoParse, InfoHashIsSha1OfExactInfoBytes) {
  const std::string bytes = single();
  auto t = parse_torrent(bytes);
  ASSERT_TRUE(t);
  const auto start = bytes.find("4:info") + 6;
  const std::string info = bytes.substr(start, bytes.size() - 1 - start);
  EXPECT_EQ(t->info_hash, crypto::sha1(info));
  EXPECT_EQ(t->info_bytes, info);
}

TEST(MetainfoParse, ParsesMultiFileTorrentWithOffsets) {
  const std::string bytes =
      multi(file("1:a5:x.txt", 100) + file("5:empty", 0) + file("1:b", 20000), 20100);
  auto t = parse_torrent(bytes);
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_TRUE(t->multi_file);
  ASSERT_EQ(t->files.size(), 3u);
  EXPECT_EQ(t->files[0].path, "root/a/x.txt");
  EXPECT_EQ(t->files[1].path, "root/empty");
  EXPECT_EQ(t->files[1].offset, 100);
  EXPECT_EQ(t->files[2].offset, 100);
  EXPECT_EQ(t->total_length, 20100);
}

TEST(MetainfoParse, UsesAnnounceListTiersOverAnnounce) {
  std::string bytes = single();
  bytes.insert(bytes.find("4:info"), "13:announce-listll3:u:13:u:2el3:u:3ee");
  auto t = parse_torrent(bytes);
  ASSERT_TRUE(t) << t.error().message();
  ASSERT_EQ(t->trackers.size(), 2u);
  EXPECT_EQ(t->trackers[0], (std::vector<std::string>{"u:1", "u:2"}));
  EXPECT_EQ(t->trackers[1], (std::vector<std::string>{"u:3"}));
  EXPECT_EQ(t->announce, "http://t.example/ann");
}

TEST(MetainfoParse, ReadsPrivateFlagAndUrlList) {
  std::string bytes = single("7:privatei1e");
  bytes.insert(bytes.size() - 1, "8:url-list12:http://seed/");
  auto t = parse_torrent(bytes);
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_TRUE(t->is_private);
  EXPECT_EQ(t->url_list, std::vector<std::string>{"http://seed/"});
}

TEST(MetainfoParse, ReadsDhtNodesLeniently) {
  // BEP 5 `nodes`: [host, port] pairs; malformed entries are skipped, IPv6 gets brackets.
  std::string bytes = single();
  bytes.insert(bytes.size() - 1,
               "5:nodesll9:127.0.0.1i6881eel3:::1i7000eel4:a.bci0eel5:a b ci1eei5el4:hosti6882ee"
               "l7:dht.orgi25401eee");
  auto t = parse_torrent(bytes);
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(t->dht_nodes, (std::vector<std::string>{"127.0.0.1:6881", "[::1]:7000", "host:6882",
                                                    "dht.org:25401"}));
  EXPECT_EQ(t->to_add_params().dht_nodes, t->dht_nodes);
}

struct bad_torrent {
  std::string name;
  std::string bytes;
  errc expected;
};

void PrintTo(const bad_torrent& b, std::ostream* os) {
  *os << b.name;
}

class MetainfoRejects : public ::testing::TestWithParam<bad_torrent> {};

TEST_P(MetainfoRejects, WithTheSpecificError) {
  auto t = parse_torrent(GetParam().bytes);
  ASSERT_FALSE(t) << "accepted";
  EXPECT_EQ(t.error().code, make_error_code(GetParam().expected)) << t.error().message();
}

std::vector<bad_torrent> bad_torrents() {
  const std::string ok_pieces = "12:piece lengthi16384e6:pieces20:" + hashes(1);
  return {
      {"NotADict", "li1ee", errc::not_a_dictionary},
      {"NoInfo", "d8:announce1:xe", errc::missing_info},
      {"InfoNotDict", "d4:infoi1ee", errc::not_a_dictionary},
      {"NoName", "d4:infod6:lengthi1e" + ok_pieces + "ee", errc::missing_field},
      {"NoPieceLength", "d4:infod6:lengthi1e4:name1:a6:pieces20:" + hashes(1) + "ee",
       errc::missing_field},
      {"ZeroPieceLength",
       "d4:infod6:lengthi1e4:name1:a12:piece lengthi0e6:pieces20:" + hashes(1) + "ee",
       errc::invalid_piece_length},
      {"NegativePieceLength",
       "d4:infod6:lengthi1e4:name1:a12:piece lengthi-5e6:pieces20:" + hashes(1) + "ee",
       errc::invalid_piece_length},
      {"HugePieceLength",
       "d4:infod6:lengthi1e4:name1:a12:piece lengthi4294967296e6:pieces20:" + hashes(1) + "ee",
       errc::invalid_piece_length},
      {"PiecesNotMultipleOf20",
       "d4:infod6:lengthi1e4:name1:a12:piece lengthi16384e6:pieces19:" + std::string(19, 'h') +
           "ee",
       errc::invalid_pieces},
      {"TooFewPieces", single("", 40000, 2), errc::piece_count_mismatch},
      {"TooManyPieces", single("", 40000, 4), errc::piece_count_mismatch},
      {"NegativeLength", single("", -1, 0), errc::invalid_length},
      {"NoLengthOrFiles", "d4:infod4:name1:a" + ok_pieces + "ee", errc::missing_field},
      {"NegativeFileLength", multi(file("1:a", -5), 0), errc::invalid_length},
      {"LengthsOverflow", multi(file("1:a", INT64_MAX) + file("1:b", 1), 0), errc::invalid_length},
      {"DotDotComponent", multi(file("2:..6:passwd", 1), 1), errc::invalid_path},
      {"DotComponent", multi(file("1:.1:a", 1), 1), errc::invalid_path},
      {"EmptyComponent", multi(file("0:1:a", 1), 1), errc::invalid_path},
      {"EmptyPath", multi(file("", 1), 1), errc::invalid_path},
      {"SlashInComponent", multi(file("9:../../etc", 1), 1), errc::invalid_path},
      {"AbsoluteComponent", multi(file("11:/etc/passwd", 1), 1), errc::invalid_path},
      {"NulInComponent", multi(file(std::string("3:a\0b", 5), 1), 1), errc::invalid_path},
      {"WindowsDrive", multi(file("2:C:1:a", 1), 1), errc::invalid_path},
      {"WindowsDrivePath", multi(file("6:C:\\x\\y", 1), 1), errc::invalid_path},
      {"DotDotName", multi(file("1:a", 1), 1, "2:.."), errc::invalid_path},
      {"BackslashDotDot", multi(file("7:..\\..\\x", 1), 1), errc::invalid_path},
      {"BackslashDotDotInside", multi(file("6:a\\..\\b", 1), 1), errc::invalid_path},
      {"BackslashDotDotAtEnd", multi(file("4:a\\..", 1), 1), errc::invalid_path},
      {"BackslashRooted", multi(file("4:\\etc", 1), 1), errc::invalid_path},
      {"BackslashUnc", multi(file("11:\\\\srv\\share", 1), 1), errc::invalid_path},
      {"BackslashDotDotName", multi(file("1:a", 1), 1, "4:..\\x"), errc::invalid_path},
      {"EmptyFilesList", "d4:infod5:filesle4:name1:a12:piece lengthi16384e6:pieces0:ee",
       errc::no_files},
      {"SlashName", "d4:infod6:lengthi1e4:name4:/etc" + ok_pieces + "ee", errc::invalid_path},
      {"EmptyName", "d4:infod6:lengthi1e4:name0:" + ok_pieces + "ee", errc::invalid_path},
      {"DuplicatePath", multi(file("1:a", 1) + file("1:a", 1), 2), errc::duplicate_path},
      {"FileIsAlsoDirectory", multi(file("1:a", 1) + file("1:a1:b", 1), 2), errc::duplicate_path},
      {"PathTooDeep",
       multi(file(
                 [] {
                   std::string p;
                   for (int i = 0; i < 65; ++i) p += "1:d";
                   return p;
                 }(),
                 1),
             1),
       errc::path_too_deep},
      {"V2Only", "d4:infod9:file treede12:meta versioni2e4:name1:a12:piece lengthi16384eee",
       errc::v2_not_supported},
      {"WrongTypeAnnounce", "d8:announcei1e" + single().substr(single().find("4:info")),
       errc::wrong_type},

  };
}

INSTANTIATE_TEST_SUITE_P(Validation, MetainfoRejects, ::testing::ValuesIn(bad_torrents()),
                         [](const auto& info) { return info.param.name; });

TEST(MetainfoParse, AcceptsTrailingJunkAndUnsortedOuterKeysLikeLibtorrent) {
  std::string bytes = single() + "\n";
  EXPECT_TRUE(parse_torrent(bytes));
  std::string unsorted = "d4:info" + single().substr(single().find("4:info") + 6);
  unsorted.insert(unsorted.size() - 1, "8:announce3:x:y");
  auto t = parse_torrent(unsorted);
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(t->announce, "x:y");
}

TEST(MetainfoParse, KeepsBackslashesThatStayInside) {
  // Names with backslashes that cannot climb out anywhere are legal file names.
  auto t = parse_torrent(multi(file("5:a\\b.c", 1) + file("4:x..y", 1) + file("3:..a", 1), 3));
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(t->files[0].path, "root/a\\b.c");
}

TEST(MetainfoParseInfo, ParsesTheInfoDictionaryAloneWithTheSameHash) {
  auto t = parse_torrent(single());
  ASSERT_TRUE(t) << t.error().message();
  auto i = parse_info(t->info_bytes);
  ASSERT_TRUE(i) << i.error().message();
  EXPECT_EQ(i->info_hash, t->info_hash);
  EXPECT_EQ(i->name, t->name);
  EXPECT_EQ(i->piece_hashes, t->piece_hashes);
  EXPECT_EQ(i->total_length, t->total_length);
  EXPECT_EQ(i->info_bytes, t->info_bytes);
}

TEST(MetainfoParseInfo, RejectsJunkAfterTheDictionaryAndBadFields) {
  auto t = parse_torrent(single());
  ASSERT_TRUE(t);
  EXPECT_FALSE(parse_info(t->info_bytes + "x"));
  EXPECT_FALSE(parse_info("d4:name1:ae"));
  EXPECT_FALSE(parse_info("le"));
  parse_limits small;
  small.max_info_size = 10;
  auto big = parse_info(t->info_bytes, small);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, make_error_code(errc::metadata_too_large));
}

TEST(MetainfoParse, ReportsBencodeErrorsAsSuch) {
  auto t = parse_torrent("d4:infod");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, make_error_code(bencode::errc::unexpected_end));
}

TEST(MetainfoParse, EnforcesFileCountCap) {
  parse_limits limits;
  limits.max_files = 2;
  auto t = parse_torrent(multi(file("1:a", 1) + file("1:b", 1) + file("1:c", 1), 3), limits);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, make_error_code(errc::too_many_files));
}

TEST(MetainfoParse, EnforcesPieceCountAndMetadataCaps) {
  parse_limits limits;
  limits.max_pieces = 2;
  auto t = parse_torrent(single(), limits);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, make_error_code(errc::too_many_pieces));
  parse_limits small;
  small.max_info_size = 50;
  auto u = parse_torrent(single(), small);
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code, make_error_code(errc::metadata_too_large));
}

TEST(MetainfoParse, PadFilesAreMarkedAndExemptFromUniqueness) {
  const std::string pad = "d4:attr1:p6:lengthi10e4:pathl4:.pad2:10ee";
  auto t = parse_torrent(multi(file("1:a", 5) + pad + pad + file("1:b", 5), 30));
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_TRUE(t->files[1].pad);
  EXPECT_FALSE(t->files[0].pad);
  EXPECT_EQ(t->files[3].offset, 25);
}

TEST(MetainfoParse, PrefersUtf8VariantsOfNameAndPath) {
  const std::string bytes =
      "d4:infod5:filesld6:lengthi1e4:pathl1:xe10:path.utf-8l1:yeee4:name1:n10:name.utf-82:nn"
      "12:piece lengthi16384e6:pieces20:" +
      hashes(1) + "ee";
  auto t = parse_torrent(bytes);
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(t->name, "nn");
  EXPECT_EQ(t->files[0].path, "nn/y");
}

TEST(MetainfoParse, PadOrSymlinkAttrOnASingleFileTorrentIsIgnored) {
  // Else the one file is skipped and the download ends "done" with nothing written.
  for (const std::string attr : {"1:p", "1:l", "2:lp"}) {
    const std::string bytes =
        "d4:infod4:attr" + attr +
        "6:lengthi40000e4:name5:a.bin12:piece lengthi16384e6:pieces60:" + hashes(3) + "ee";
    auto t = parse_torrent(bytes);
    ASSERT_TRUE(t) << t.error().message();
    ASSERT_EQ(t->files.size(), 1u);
    EXPECT_FALSE(t->files[0].pad) << attr;
    EXPECT_FALSE(t->files[0].symlink) << attr;
    EXPECT_EQ(t->files[0].length, 40000) << attr;
  }
}

TEST(MetainfoParse, TheNameOfThePartsDirectoryIsReserved) {
  const std::string bytes =
      "d4:infod6:lengthi40000e4:name14:.corrent-parts12:piece lengthi16384e6:pieces60:" +
      hashes(3) + "ee";
  auto t = parse_torrent(bytes);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message().find("reserved"), std::string::npos) << t.error().message();
}

}  // namespace
}  // namespace corrent::metainfo
