#include "core/resume/resume_state.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/metainfo/parse.hpp"

namespace corrent::resume {
namespace {

using namespace std::string_literals;

// 20 bytes of piece hash per piece; the resume codec never looks at them.
std::string hashes(int n) {
  return std::string(static_cast<std::size_t>(n) * 20, 'h');
}

// "a.bin": 40000 bytes in 3 pieces of 16 KiB.
std::string single_file_torrent() {
  return "d4:infod6:lengthi40000e4:name5:a.bin12:piece lengthi16384e6:pieces60:" + hashes(3) + "ee";
}

// "root/a" (10 bytes) and "root/b" (30 bytes): 40 bytes in 3 pieces of 16.
std::string two_file_torrent() {
  return "d4:infod5:filesld6:lengthi10e4:pathl1:aeed6:lengthi30e4:pathl1:beee"
         "4:name4:root12:piece lengthi16e6:pieces60:" +
         hashes(3) + "ee";
}

// "root/a/x.txt" (100), "root/empty" (0), "root/b" (200): 300 bytes in 19 pieces of 16, so
// the verified bitfield is 3 bytes and only the top 3 bits of the last one are pieces.
std::string nineteen_piece_torrent() {
  return "d4:infod5:filesld6:lengthi100e4:pathl1:a5:x.txteed6:lengthi0e4:pathl5:emptyee"
         "d6:lengthi200e4:pathl1:beee4:name4:root12:piece lengthi16e6:pieces380:" +
         hashes(19) + "ee";
}

// One empty file: no pieces at all.
std::string zero_piece_torrent() {
  return "d4:infod6:lengthi0e4:name5:empty12:piece lengthi16384e6:pieces0:ee";
}

metainfo::torrent parse(const std::string& bytes) {
  auto t = metainfo::parse_torrent(bytes);
  if (!t) {
    ADD_FAILURE() << "test torrent rejected: " << t.error().message();
    return {};
  }
  return *t;
}

const metainfo::torrent& two_files() {
  static const metainfo::torrent t = parse(two_file_torrent());
  return t;
}

// A checkpoint for t: the listed pieces verified, every file complete with its own mtime.
resume_state state_for(const metainfo::torrent& t, std::initializer_list<std::size_t> pieces) {
  resume_state s;
  s.info_hash = t.info_hash;
  s.verified = swarm::bitfield(static_cast<std::size_t>(t.num_pieces()));
  for (const std::size_t p : pieces) s.verified.set(p);
  for (std::size_t i = 0; i < t.files.size(); ++i) {
    s.files.push_back(
        {t.files[i].length, 1'700'000'000'000'000'000 + static_cast<std::int64_t>(i)});
  }
  s.downloaded = 1234;
  s.uploaded = 567;
  return s;
}

void expect_same_state(const resume_state& got, const resume_state& want) {
  EXPECT_EQ(crypto::to_hex(got.info_hash), crypto::to_hex(want.info_hash));
  EXPECT_EQ(got.verified.size(), want.verified.size());
  EXPECT_EQ(got.verified.count(), want.verified.count());
  EXPECT_EQ(got.verified.to_wire(), want.verified.to_wire());
  EXPECT_TRUE(got.verified == want.verified);
  ASSERT_EQ(got.files.size(), want.files.size());
  for (std::size_t i = 0; i < got.files.size(); ++i) {
    EXPECT_EQ(got.files[i].size, want.files[i].size) << "file " << i;
    EXPECT_EQ(got.files[i].mtime_ns, want.files[i].mtime_ns) << "file " << i;
  }
  EXPECT_EQ(got.downloaded, want.downloaded);
  EXPECT_EQ(got.uploaded, want.uploaded);
}

void expect_round_trip(const metainfo::torrent& t, const resume_state& s) {
  const std::string bytes = encode_resume(s);
  auto back = decode_resume(bytes, t);
  ASSERT_TRUE(back) << back.error().message();
  expect_same_state(*back, s);
  EXPECT_EQ(encode_resume(*back), bytes);
}

TEST(ResumeState, RoundTripsSingleFileTorrent) {
  const auto t = parse(single_file_torrent());
  ASSERT_EQ(t.num_pieces(), 3);
  expect_round_trip(t, state_for(t, {0, 2}));
}

TEST(ResumeState, RoundTripsMultiFileTorrent) {
  const auto& t = two_files();
  ASSERT_EQ(t.files.size(), 2u);
  expect_round_trip(t, state_for(t, {1}));
}

TEST(ResumeState, RoundTripsBitfieldSpanningBytesWithPartlyUsedLastByte) {
  const auto t = parse(nineteen_piece_torrent());
  ASSERT_EQ(t.num_pieces(), 19);
  ASSERT_EQ(t.files.size(), 3u);
  const auto s = state_for(t, {0, 7, 8, 15, 16, 18});
  expect_round_trip(t, s);
  // Piece 0 is the high bit of byte 0; pieces 16 and 18 are the 1st and 3rd bits of byte 2.
  EXPECT_NE(encode_resume(s).find("8:verified3:\x81\x81\xa0"s), std::string::npos);
}

TEST(ResumeState, RoundTripsEveryPieceVerified) {
  const auto t = parse(nineteen_piece_torrent());
  auto s = state_for(t, {});
  s.verified.set_all();
  expect_round_trip(t, s);
  EXPECT_NE(encode_resume(s).find("8:verified3:\xff\xff\xe0"s), std::string::npos);
}

TEST(ResumeState, RoundTripsTorrentWithNoPieces) {
  const auto t = parse(zero_piece_torrent());
  ASSERT_EQ(t.num_pieces(), 0);
  const auto s = state_for(t, {});
  expect_round_trip(t, s);
  const std::string bytes = encode_resume(s);
  EXPECT_NE(bytes.find("6:piecesi0e"), std::string::npos);
  EXPECT_NE(bytes.find("8:verified0:"), std::string::npos);
}

TEST(ResumeState, RoundTripsExtremeButValidNumbers) {
  const auto& t = two_files();
  auto s = state_for(t, {0, 1, 2});
  s.files[0] = {0, std::numeric_limits<std::int64_t>::min()};  // mtime before 1970 is fine
  s.files[1] = {std::numeric_limits<std::int64_t>::max(), -1};
  s.downloaded = std::numeric_limits<std::int64_t>::max();
  s.uploaded = 0;
  expect_round_trip(t, s);
}

TEST(ResumeState, EncodesSortedKeysByteForByte) {
  resume_state s;
  for (std::size_t i = 0; i < s.info_hash.size(); ++i) {
    s.info_hash[i] = static_cast<std::uint8_t>('A' + i);
  }
  s.verified = swarm::bitfield(10);
  s.verified.set(0);
  s.verified.set(3);
  s.verified.set(9);
  s.files = {{5, 1'700'000'000'000'000'000}, {0, -1}};
  s.downloaded = 123;
  s.uploaded = 45;
  const std::string encoded = encode_resume(s);
  ASSERT_EQ(encoded.rfind("d8:checksum20:", 0), 0u);
  const std::string body = "d" + encoded.substr(14 + 20);
  EXPECT_EQ(encoded.substr(14, 20), std::string(crypto::as_bytes(crypto::sha1(body))));
  EXPECT_EQ(body,
            "d10:downloadedi123e"
            "5:filesl"
            "d5:mtimei1700000000000000000e4:sizei5ee"
            "d5:mtimei-1e4:sizei0ee"
            "e"
            "9:info-hash20:ABCDEFGHIJKLMNOPQRST"
            "6:piecesi10e"
            "8:uploadedi45e"
            "8:verified2:\x90\x40"
            "7:versioni1e"
            "e"s);
}

TEST(ResumeState, DecodesAHandWrittenFile) {
  const auto& t = two_files();
  const std::string bytes =
      "d10:downloadedi48e"
      "5:filesld5:mtimei-7e4:sizei10eed5:mtimei9e4:sizei3eee"
      "9:info-hash20:" +
      std::string(crypto::as_bytes(t.info_hash)) +
      "6:piecesi3e8:uploadedi16e8:verified1:\x40"
      "7:versioni1ee";
  auto s = decode_resume(bytes, t);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->info_hash, t.info_hash);
  ASSERT_EQ(s->verified.size(), 3u);
  EXPECT_FALSE(s->verified.test(0));
  EXPECT_TRUE(s->verified.test(1));
  EXPECT_FALSE(s->verified.test(2));
  EXPECT_EQ(s->verified.count(), 1u);
  ASSERT_EQ(s->files.size(), 2u);
  EXPECT_EQ(s->files[0], (file_record{10, -7}));
  EXPECT_EQ(s->files[1], (file_record{3, 9}));
  EXPECT_EQ(s->downloaded, 48);
  EXPECT_EQ(s->uploaded, 16);
}

TEST(ResumeState, RejectsResumeFileOfAnotherTorrent) {
  const auto other = parse(single_file_torrent());
  ASSERT_EQ(other.num_pieces(), two_files().num_pieces());
  auto s = decode_resume(encode_resume(state_for(other, {0})), two_files());
  ASSERT_FALSE(s) << "accepted";
  EXPECT_EQ(s.error().code, make_error_code(errc::wrong_torrent)) << s.error().message();
}

// The fields of a resume file for two_file_torrent(), each as the bencode of its value;
// an empty string leaves the key out. Rejection cases change one field.
struct fields {
  std::string downloaded = "i48e";
  std::string files = "ld5:mtimei1700000000e4:sizei10eed5:mtimei1700000001e4:sizei30eee";
  std::string info_hash = "20:" + std::string(crypto::as_bytes(two_files().info_hash));
  std::string pieces = "i3e";
  std::string uploaded = "i16e";
  std::string verified = "1:\xa0"s;  // pieces 0 and 2
  std::string version = "i1e";
};

std::string resume_file(const fields& f) {
  std::string out = "d";
  const auto add = [&](std::string_view key, const std::string& value) {
    if (!value.empty()) out += std::to_string(key.size()) + ":" + std::string(key) + value;
  };
  add("downloaded", f.downloaded);
  add("files", f.files);
  add("info-hash", f.info_hash);
  add("pieces", f.pieces);
  add("uploaded", f.uploaded);
  add("verified", f.verified);
  add("version", f.version);
  return out + "e";
}

TEST(ResumeState, FixtureFieldsMakeAValidFile) {
  const std::string bytes = resume_file({});
  EXPECT_EQ(bytes,
            "d10:downloadedi48e"
            "5:filesld5:mtimei1700000000e4:sizei10eed5:mtimei1700000001e4:sizei30eee"
            "9:info-hash20:" +
                std::string(crypto::as_bytes(two_files().info_hash)) +
                "6:piecesi3e8:uploadedi16e8:verified1:\xa0"
                "7:versioni1ee");
  auto s = decode_resume(bytes, two_files());
  ASSERT_TRUE(s) << s.error().message();
  auto want = state_for(two_files(), {0, 2});
  want.files = {{10, 1700000000}, {30, 1700000001}};
  want.downloaded = 48;
  want.uploaded = 16;
  expect_same_state(*s, want);
  // Re-encoding adds the checksum in front of the same fields.
  const std::string encoded = encode_resume(*s);
  EXPECT_EQ("d" + encoded.substr(14 + 20), bytes);
}

TEST(ResumeState, RejectsAFlippedPieceBitWhenChecksummed) {
  const auto& t = two_files();
  const std::string valid = encode_resume(state_for(t, {0}));
  ASSERT_TRUE(decode_resume(valid, t));
  const std::size_t at = valid.find("8:verified1:") + 12;
  std::string bytes = valid;
  bytes[at] = static_cast<char>(bytes[at] ^ 0x20);  // marks piece 2 verified
  auto s = decode_resume(bytes, t);
  ASSERT_FALSE(s) << "accepted a tampered bitfield";
  EXPECT_EQ(s.error().code, make_error_code(errc::bad_checksum)) << s.error().message();
}

struct bad_resume {
  std::string name;
  std::string bytes;
  errc expected;
};

void PrintTo(const bad_resume& b, std::ostream* os) {
  *os << b.name;
}

class ResumeRejects : public ::testing::TestWithParam<bad_resume> {};

TEST_P(ResumeRejects, WithTheSpecificError) {
  auto s = decode_resume(GetParam().bytes, two_files());
  ASSERT_FALSE(s) << "accepted";
  EXPECT_EQ(s.error().code, make_error_code(GetParam().expected)) << s.error().message();
}

std::vector<bad_resume> bad_resume_files() {
  const std::string valid = resume_file({});
  return {
      // Not (strict) bencode, or not a dictionary.
      {"Empty", "", errc::not_a_dictionary},
      {"TopLevelList", "li1ee", errc::not_a_dictionary},
      {"TopLevelInteger", "i1e", errc::not_a_dictionary},
      {"TopLevelString", "7:version", errc::not_a_dictionary},
      {"TrailingNewline", valid + "\n", errc::not_a_dictionary},
      {"UnsortedKeys",
       "d9:info-hash20:" + std::string(crypto::as_bytes(two_files().info_hash)) +
           "10:downloadedi48e5:filesld5:mtimei1e4:sizei10eed5:mtimei2e4:sizei30eee"
           "6:piecesi3e8:uploadedi16e8:verified1:\xa0"
           "7:versioni1ee",
       errc::not_a_dictionary},
      {"NestedTooDeep",
       resume_file({.files = "ld5:mtimei1e4:sizei10e1:zllleeeed5:mtimei2e4:sizei30eee"}),
       errc::not_a_dictionary},
      // version
      {"MissingVersion", resume_file({.version = ""}), errc::bad_field},
      {"VersionAsString", resume_file({.version = "1:1"}), errc::bad_field},
      {"NegativeVersion", resume_file({.version = "i-1e"}), errc::bad_field},
      {"Version0", resume_file({.version = "i0e"}), errc::unsupported_version},
      {"Version2", resume_file({.version = "i2e"}), errc::unsupported_version},
      {"Version2IsNotJudgedByVersion1Rules", "d7:versioni2ee", errc::unsupported_version},
      // info-hash
      {"MissingInfoHash", resume_file({.info_hash = ""}), errc::bad_field},
      {"InfoHashAsInteger", resume_file({.info_hash = "i1e"}), errc::bad_field},
      {"InfoHash19Bytes", resume_file({.info_hash = "19:" + std::string(19, 'x')}),
       errc::bad_field},
      {"InfoHash21Bytes", resume_file({.info_hash = "21:" + std::string(21, 'x')}),
       errc::bad_field},
      {"InfoHashInHex", resume_file({.info_hash = "40:" + two_files().info_hash_hex()}),
       errc::bad_field},
      {"InfoHashOfAnotherTorrent", resume_file({.info_hash = "20:" + std::string(20, 'x')}),
       errc::wrong_torrent},
      // pieces and verified
      {"MissingPieces", resume_file({.pieces = ""}), errc::bad_field},
      {"PiecesAsString", resume_file({.pieces = "1:3"}), errc::bad_field},
      {"NegativePieces", resume_file({.pieces = "i-3e"}), errc::bad_field},
      {"FewerPieces", resume_file({.pieces = "i2e"}), errc::bad_bitfield},
      {"MorePieces", resume_file({.pieces = "i4e"}), errc::bad_bitfield},
      {"PiecesOfAWholeByte", resume_file({.pieces = "i8e"}), errc::bad_bitfield},
      {"MissingVerified", resume_file({.verified = ""}), errc::bad_field},
      {"VerifiedAsInteger", resume_file({.verified = "i160e"}), errc::bad_field},
      {"VerifiedAsList", resume_file({.verified = "li160ee"}), errc::bad_field},
      {"VerifiedEmpty", resume_file({.verified = "0:"}), errc::bad_bitfield},
      {"VerifiedOneByteTooLong", resume_file({.verified = "2:\xa0\x00"s}), errc::bad_bitfield},
      {"VerifiedSpareBitSet", resume_file({.verified = "1:\xa1"s}), errc::bad_bitfield},
      // files
      {"MissingFiles", resume_file({.files = ""}), errc::bad_field},
      {"FilesAsDict", resume_file({.files = "de"}), errc::bad_field},
      {"FilesAsInteger", resume_file({.files = "i2e"}), errc::bad_field},
      {"NoFileRecords", resume_file({.files = "le"}), errc::file_count_mismatch},
      {"OneFileRecordTooFew", resume_file({.files = "ld5:mtimei1e4:sizei10eee"}),
       errc::file_count_mismatch},
      {"OneFileRecordTooMany",
       resume_file(
           {.files = "ld5:mtimei1e4:sizei10eed5:mtimei2e4:sizei30eed5:mtimei3e4:sizei0eee"}),
       errc::file_count_mismatch},
      {"FileRecordAsList", resume_file({.files = "lli1ei10eed5:mtimei2e4:sizei30eee"}),
       errc::bad_field},
      {"FileRecordAsInteger", resume_file({.files = "li10ed5:mtimei2e4:sizei30eee"}),
       errc::bad_field},
      {"FileRecordWithoutSize", resume_file({.files = "ld5:mtimei1eed5:mtimei2e4:sizei30eee"}),
       errc::bad_field},
      {"FileRecordWithoutMtime", resume_file({.files = "ld4:sizei10eed5:mtimei2e4:sizei30eee"}),
       errc::bad_field},
      {"NegativeFileSize", resume_file({.files = "ld5:mtimei1e4:sizei10eed5:mtimei2e4:sizei-1eee"}),
       errc::bad_field},
      {"FileSizeAsString", resume_file({.files = "ld5:mtimei1e4:size2:10ed5:mtimei2e4:sizei30eee"}),
       errc::bad_field},
      {"MtimeAsString", resume_file({.files = "ld5:mtime1:14:sizei10eed5:mtimei2e4:sizei30eee"}),
       errc::bad_field},
      // payload totals
      {"MissingDownloaded", resume_file({.downloaded = ""}), errc::bad_field},
      {"NegativeDownloaded", resume_file({.downloaded = "i-1e"}), errc::bad_field},
      {"DownloadedAsString", resume_file({.downloaded = "2:48"}), errc::bad_field},
      {"MissingUploaded", resume_file({.uploaded = ""}), errc::bad_field},
      {"NegativeUploaded", resume_file({.uploaded = "i-16e"}), errc::bad_field},
      {"UploadedAsList", resume_file({.uploaded = "li16ee"}), errc::bad_field},
  };
}

INSTANTIATE_TEST_SUITE_P(Validation, ResumeRejects, ::testing::ValuesIn(bad_resume_files()),
                         [](const auto& info) { return info.param.name; });

TEST(ResumeState, RejectsEveryTruncation) {
  const std::string valid = resume_file({});
  ASSERT_TRUE(decode_resume(valid, two_files()));
  for (std::size_t n = 0; n < valid.size(); ++n) {
    auto s = decode_resume(std::string_view(valid).substr(0, n), two_files());
    ASSERT_FALSE(s) << "accepted the first " << n << " bytes";
    EXPECT_EQ(s.error().code, make_error_code(errc::not_a_dictionary))
        << n << " bytes: " << s.error().message();
  }
}

TEST(ResumeState, RejectsZeroedFile) {
  // What a crash between allocating and writing the file can leave behind.
  const std::string zeroed(resume_file({}).size(), '\0');
  auto s = decode_resume(zeroed, two_files());
  ASSERT_FALSE(s) << "accepted";
  EXPECT_EQ(s.error().code, make_error_code(errc::not_a_dictionary)) << s.error().message();
}

TEST(ResumeState, RejectsRandomGarbage) {
  std::mt19937 rng(20240601);  // fixed seed: the same inputs on every run
  for (int round = 0; round < 200; ++round) {
    std::string garbage(1 + rng() % 200, '\0');
    for (char& c : garbage) c = static_cast<char>(rng() & 0xff);
    auto s = decode_resume(garbage, two_files());
    ASSERT_FALSE(s) << "accepted round " << round;
    EXPECT_EQ(s.error().code, make_error_code(errc::not_a_dictionary)) << s.error().message();
  }
}

TEST(ResumeState, RejectsEachSpareBitOfTheVerifiedBitfield) {
  // 3 pieces use the top 3 bits of the only byte; the low 5 must be zero.
  for (int bit = 0; bit < 5; ++bit) {
    const char byte = static_cast<char>(0xa0 | (1 << bit));
    auto s = decode_resume(resume_file({.verified = "1:"s + byte}), two_files());
    ASSERT_FALSE(s) << "accepted spare bit " << bit;
    EXPECT_EQ(s.error().code, make_error_code(errc::bad_bitfield)) << s.error().message();
  }
}

TEST(ResumeState, RejectsSpareBitsInTheLastOfSeveralBitfieldBytes) {
  const auto t = parse(nineteen_piece_torrent());
  const std::string valid = encode_resume(state_for(t, {0, 18}));
  const std::string wire = "8:verified3:\x80\x00\x20"s;
  const auto at = valid.find(wire);
  ASSERT_NE(at, std::string::npos);
  const std::size_t last = at + wire.size() - 1;
  for (int bit = 0; bit < 5; ++bit) {
    std::string bytes = valid;
    bytes[last] = static_cast<char>(bytes[last] | (1 << bit));
    auto s = decode_resume(bytes, t);
    ASSERT_FALSE(s) << "accepted spare bit " << bit;
    EXPECT_EQ(s.error().code, make_error_code(errc::bad_bitfield)) << s.error().message();
  }
}

// Flipping any single bit never crashes the decoder, and whatever it still accepts is a
// state for this torrent. Flips in the info-hash are wrong_torrent; flips in the bitfield
// are a different set of verified pieces, or bad_bitfield in the spare bits.
TEST(ResumeState, SurvivesEverySingleBitFlip) {
  const auto& t = two_files();
  const std::string valid = resume_file({});
  const std::size_t hash_at = valid.find("9:info-hash20:") + 14;
  const std::size_t verified_at = valid.find("8:verified1:") + 12;
  int accepted = 0;
  for (std::size_t i = 0; i < valid.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bytes = valid;
      bytes[i] = static_cast<char>(bytes[i] ^ (1 << bit));
      const auto s = decode_resume(bytes, t);
      if (i >= hash_at && i < hash_at + 20) {
        ASSERT_FALSE(s) << "byte " << i << " bit " << bit;
        EXPECT_EQ(s.error().code, make_error_code(errc::wrong_torrent)) << s.error().message();
      } else if (i == verified_at) {
        if (bit < 5) {
          ASSERT_FALSE(s) << "spare bit " << bit;
          EXPECT_EQ(s.error().code, make_error_code(errc::bad_bitfield)) << s.error().message();
        } else {
          ASSERT_TRUE(s) << "piece bit " << bit << ": " << s.error().message();
          EXPECT_EQ(s->verified.to_wire(), std::string(1, bytes[i]));
        }
      }
      if (!s) continue;
      ++accepted;
      EXPECT_EQ(s->info_hash, t.info_hash);
      EXPECT_EQ(s->verified.size(), static_cast<std::size_t>(t.num_pieces()));
      EXPECT_EQ(s->files.size(), t.files.size());
      auto again = decode_resume(encode_resume(*s), t);
      ASSERT_TRUE(again) << "byte " << i << " bit " << bit << ": " << again.error().message();
      expect_same_state(*again, *s);
    }
  }
  // At least the 3 piece bits, and digit flips that stay digits (48 -> 49 ...).
  EXPECT_GT(accepted, 3);
}

}  // namespace
}  // namespace corrent::resume
