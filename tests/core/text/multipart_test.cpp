// text::parse_multipart: multipart/form-data bodies (qBittorrent's torrents/add).
#include "core/text/multipart.hpp"

#include <gtest/gtest.h>

namespace corrent::text {
namespace {

TEST(Multipart, BoundaryFromTheContentType) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc123"), "abc123");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\""), "a b");
  EXPECT_FALSE(multipart_boundary("application/json"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary="));
}

TEST(Multipart, FieldsAndFilesWithBinaryData) {
  const std::string file("d8:announce\r\n--not-the-boundary\0\xff", 31);
  const std::string body =
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"urls\"\r\n\r\n"
      "magnet:?xt=urn:btih:aa\nmagnet:?xt=urn:btih:bb\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"torrents\"; filename=\"a \\\"b\\\".torrent\"\r\n"
      "Content-Type: application/x-bittorrent\r\n\r\n" +
      file +
      "\r\n--XyZ\r\n"
      "content-disposition: form-data; name=category\r\n\r\n"
      "tv\r\n"
      "--XyZ--\r\n";
  const auto parts = parse_multipart(body, "XyZ");
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].name, "urls");
  EXPECT_EQ((*parts)[0].data, "magnet:?xt=urn:btih:aa\nmagnet:?xt=urn:btih:bb");
  EXPECT_EQ((*parts)[1].name, "torrents");
  EXPECT_EQ((*parts)[1].filename, "a \"b\".torrent");
  EXPECT_EQ((*parts)[1].content_type, "application/x-bittorrent");
  EXPECT_EQ((*parts)[1].data, file);
  EXPECT_EQ((*parts)[2].name, "category");
  EXPECT_EQ((*parts)[2].data, "tv");
}

TEST(Multipart, APreambleIsSkippedAndAnEmptyFormIsEmpty) {
  const auto p = parse_multipart(
      "ignored\r\n--b\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n--b--", "b");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 1u);
  EXPECT_EQ((*p)[0].data, "1");
  const auto e = parse_multipart("--b--\r\n", "b");
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->empty());
}

TEST(Multipart, MalformedBodiesAreRefused) {
  EXPECT_FALSE(parse_multipart("", "b"));
  EXPECT_FALSE(parse_multipart("--b\r\nContent-Disposition: form-data; name=x\r\n\r\n1", "b"))
      << "no closing delimiter";
  EXPECT_FALSE(parse_multipart("--b\r\nContent-Type: text/plain\r\n\r\n1\r\n--b--", "b"))
      << "no Content-Disposition";
  EXPECT_FALSE(
      parse_multipart("--b\r\nContent-Disposition: attachment; name=x\r\n\r\n1\r\n--b--", "b"));
  EXPECT_FALSE(
      parse_multipart("--b\r\nContent-Disposition: form-data; name=\"x\r\n\r\n1\r\n--b--", "b"))
      << "an unterminated quote";
  std::string many;
  for (int i = 0; i < 5; ++i) many += "--b\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n";
  many += "--b--";
  EXPECT_TRUE(parse_multipart(many, "b", 5));
  EXPECT_FALSE(parse_multipart(many, "b", 4)) << "more parts than allowed";
}

}  // namespace
}  // namespace corrent::text
