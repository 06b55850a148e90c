#include "core/text/printable.hpp"

#include <gtest/gtest.h>

namespace corrent::text {
namespace {

TEST(Printable, PlainAndNonAsciiTextPassUnchanged) {
  EXPECT_EQ(printable("Ubuntu 24.04 [x86_64] \\ (c)"), "Ubuntu 24.04 [x86_64] \\ (c)");
  EXPECT_EQ(printable("\xc3\xa9t\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\xb5"),
            "\xc3\xa9t\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\xb5");
  EXPECT_EQ(printable(""), "");
}

TEST(Printable, C0ControlsAndDelAreEscaped) {
  EXPECT_EQ(printable("a\x1b[2Jb"), "a\\x1b[2Jb");
  EXPECT_EQ(printable("line\nnext\r\t"), "line\\x0anext\\x0d\\x09");
  EXPECT_EQ(printable(std::string_view("x\0y", 3)), "x\\x00y");
  EXPECT_EQ(printable("del\x7f"), "del\\x7f");
}

TEST(Printable, C1ControlsAndBidiOverridesAreEscaped) {
  EXPECT_EQ(printable("a\xc2\x9b"
                      "31mred"),
            "a\\u{009b}31mred");  // 8-bit CSI
  EXPECT_EQ(printable("\xc2\x85"), "\\u{0085}");
  EXPECT_EQ(printable("evil\xe2\x80\xaegpj.exe"), "evil\\u{202e}gpj.exe");  // RLO
  EXPECT_EQ(printable("\xe2\x81\xa6x\xe2\x81\xa9"), "\\u{2066}x\\u{2069}");
  EXPECT_EQ(printable("\xc2\xa0"), "\xc2\xa0");  // NBSP is text
}

TEST(Printable, BytesThatAreNotUtf8AreEscapedOneByOne) {
  EXPECT_EQ(printable("\x9b"), "\\x9b");                             // a bare C1 byte
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");                    // overlong '/'
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // a surrogate
  EXPECT_EQ(printable("ab\xe6\x97"), "ab\\xe6\\x97");                // truncated at the end
  EXPECT_EQ(printable("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
}

}  // namespace
}  // namespace corrent::text
