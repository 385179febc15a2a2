// Tests for the DATA transmission of a stored message: dot-stuffing, the end-of-data marker,
// and canonical CRLF output whatever the stored data holds.
#include "mta/protocol/dot_stuffing.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mxrelay::mta {
namespace {

struct Case {
  const char* name;
  std::string data;
  std::string wire;
};

TEST(DotStuffing, BuildsTheDataTransmission) {
  const std::vector<Case> cases = {
      {"empty", "", ".\r\n"},
      {"one line", "Subject: hi\r\n", "Subject: hi\r\n.\r\n"},
      {"leading dot", ".hidden\r\n", "..hidden\r\n.\r\n"},
      {"lone dot line", "a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n"},
      {"dots not at line start", "a.b\r\n x.\r\n", "a.b\r\n x.\r\n.\r\n"},
      {"double dot", "..\r\n", "...\r\n.\r\n"},
      {"last line without CRLF", "a\r\nlast", "a\r\nlast\r\n.\r\n"},
      {"last line a dot without CRLF", "a\r\n.", "a\r\n..\r\n.\r\n"},
      {"empty lines kept", "a\r\n\r\n\r\nb\r\n", "a\r\n\r\n\r\nb\r\n.\r\n"},
      {"bare LF sent as CRLF", "a\n.b\n", "a\r\n..b\r\n.\r\n"},
      {"bare CR sent as CRLF", "a\r.b\r\n", "a\r\n..b\r\n.\r\n"},
      {"smuggling attempt", "a\n.\nMAIL FROM:<x>\r\n", "a\r\n..\r\nMAIL FROM:<x>\r\n.\r\n"},
      {"trailing bare CR", "a\r", "a\r\n.\r\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string out;
    append_dot_stuffed(out, c.data);
    EXPECT_EQ(out, c.wire);
  }
}

TEST(DotStuffing, AppendsToExistingContent) {
  std::string out = "prefix";
  append_dot_stuffed(out, "x\r\n");
  EXPECT_EQ(out, "prefixx\r\n.\r\n");
}

TEST(DotStuffing, OutputNeverHoldsAnEndOfDataBeforeTheEnd) {
  const std::string data = "one\r\n.\r\n\r\n.\r\n.\n.\r.\r\n";
  std::string out;
  append_dot_stuffed(out, data);
  EXPECT_EQ(out.find("\r\n.\r\n"), out.size() - 5);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\n') {
      EXPECT_TRUE(i > 0 && out[i - 1] == '\r') << i;
    }
    if (out[i] == '\r') {
      EXPECT_TRUE(i + 1 < out.size() && out[i + 1] == '\n') << i;
    }
  }
}

}  // namespace
}  // namespace mxrelay::mta
