// Every real-world .torrent in shared/testdata/torrents: corrent's view must equal
// libtorrent's (MANIFEST.json) for v1 and hybrid torrents; v2-only ones are refused with
// "not supported yet".
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "core/metainfo/file_layout.hpp"
#include "core/metainfo/parse.hpp"

namespace corrent::metainfo {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<boost::json::object> manifest() {
  const std::string text = slurp(std::string(CORRENT_TESTDATA) + "/MANIFEST.json");
  std::vector<boost::json::object> out;
  if (text.empty()) return out;
  const boost::json::value doc = boost::json::parse(text);
  for (const auto& v : doc.as_array()) out.push_back(v.as_object());
  return out;
}

}  // namespace
}  // namespace corrent::metainfo

namespace boost::json {
// Shown by gtest for a failing case: the torrent file's name, not the whole object.
void PrintTo(const object& o, std::ostream* os) {
  *os << (o.contains("file") ? o.at("file").as_string().c_str() : "?");
}
}  // namespace boost::json

namespace corrent::metainfo {
namespace {

class RealTorrents : public ::testing::TestWithParam<boost::json::object> {};

TEST(RealTorrentsManifest, IsPresentAndComplete) {
  EXPECT_GE(manifest().size(), 39u) << "missing " << CORRENT_TESTDATA << "/MANIFEST.json";
}

TEST_P(RealTorrents, AgreeWithLibtorrent) {
  const auto& m = GetParam();
  const std::string file = std::string(m.at("file").as_string());
  const std::string bytes = slurp(std::string(CORRENT_TESTDATA) + "/" + file);
  ASSERT_FALSE(bytes.empty()) << file;
  auto t = parse_torrent(bytes);
  if (m.at("kind").as_string() == "v2-only") {
    ASSERT_FALSE(t) << file;
    EXPECT_EQ(t.error().code, make_error_code(errc::v2_not_supported));
    return;
  }
  ASSERT_TRUE(t) << file << ": " << t.error().message();
  EXPECT_EQ(t->info_hash_hex(), m.at("v1_info_hash").as_string());
  EXPECT_EQ(t->name, m.at("name").as_string());
  EXPECT_EQ(t->total_length, m.at("total_size").as_int64());
  EXPECT_EQ(t->piece_length, m.at("piece_length").as_int64());
  EXPECT_EQ(t->num_pieces(), m.at("num_pieces").as_int64());
  EXPECT_EQ(t->piece_size(t->num_pieces() - 1), m.at("last_piece_size").as_int64());
  EXPECT_EQ(t->is_private, m.at("private").as_bool());
  EXPECT_EQ(t->multi_file, m.at("multi_file_layout").as_bool());
  EXPECT_EQ(t->hybrid, m.at("kind").as_string() == "hybrid");

  std::vector<std::vector<std::string>> tiers;
  for (const auto& tier : m.at("trackers").as_array()) {
    tiers.emplace_back();
    for (const auto& u : tier.as_array()) tiers.back().emplace_back(u.as_string());
  }
  EXPECT_EQ(t->trackers, tiers);
  std::vector<std::string> seeds;
  for (const auto& u : m.at("web_seeds").as_array()) seeds.emplace_back(u.as_string());
  EXPECT_EQ(t->url_list, seeds);

  const auto& files = m.at("files").as_array();
  ASSERT_EQ(t->files.size(), files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& f = files[i].as_object();
    EXPECT_EQ(t->files[i].path, f.at("path").as_string()) << "file " << i;
    EXPECT_EQ(t->files[i].length, f.at("size").as_int64()) << "file " << i;
    EXPECT_EQ(t->files[i].offset, f.at("offset").as_int64()) << "file " << i;
    EXPECT_EQ(t->files[i].pad, f.contains("pad") && f.at("pad").as_bool()) << "file " << i;
  }
  // The layout covers every piece exactly.
  file_layout layout(*t);
  for (std::int64_t p : {std::int64_t{0}, t->num_pieces() / 2, t->num_pieces() - 1}) {
    std::int64_t covered = 0;
    for (const auto& s : layout.map_piece(p)) covered += s.length;
    EXPECT_EQ(covered, t->piece_size(p));
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, RealTorrents, ::testing::ValuesIn(manifest()),
                         [](const auto& info) {
                           std::string name(info.param.at("file").as_string());
                           for (auto& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace corrent::metainfo
