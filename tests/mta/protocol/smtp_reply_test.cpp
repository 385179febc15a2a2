// Tests for SmtpReply and the incremental ReplyParser: well-formed replies, enhanced status
// codes, and hostile input handled as an error with bounded memory.
#include "mta/protocol/smtp_reply.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mxrelay::mta {
namespace {

// Feeds text in chunks of chunk_size and collects every reply until an error or the end.
struct ParseRun {
  std::vector<SmtpReply> replies;
  std::optional<ReplyError> error;
  std::size_t max_buffered = 0;
};

ParseRun parse_all(std::string_view text, std::size_t chunk_size) {
  ParseRun run;
  ReplyParser parser;
  for (std::size_t pos = 0; pos < text.size() && !run.error; pos += chunk_size) {
    parser.feed(text.substr(pos, chunk_size));
    for (;;) {
      auto result = parser.next();
      run.max_buffered = std::max(run.max_buffered, parser.buffered_bytes());
      if (!result) {
        run.error = result.error();
        break;
      }
      if (!*result) break;
      run.replies.push_back(std::move(**result));
    }
  }
  return run;
}

struct GoodCase {
  const char* name;
  std::string input;
  int code;
  std::optional<core::EnhancedStatus> status;
  std::vector<std::string> lines;
  std::string str;
};

TEST(ReplyParser, ParsesWellFormedReplies) {
  const std::vector<GoodCase> cases = {
      {"single",
       "220 mx.example ESMTP\r\n",
       220,
       std::nullopt,
       {"mx.example ESMTP"},
       "220 mx.example ESMTP"},
      {"code only", "250\r\n", 250, std::nullopt, {""}, "250"},
      {"code and space", "250 \r\n", 250, std::nullopt, {""}, "250"},
      {"enhanced",
       "550 5.1.1 <a@b.example>: user unknown\r\n",
       550,
       core::EnhancedStatus{5, 1, 1},
       {"<a@b.example>: user unknown"},
       "550 5.1.1 <a@b.example>: user unknown"},
      {"multi-line",
       "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n",
       250,
       std::nullopt,
       {"mx.example", "PIPELINING", "SIZE 1000"},
       "250 mx.example PIPELINING SIZE 1000"},
      {"multi-line enhanced stripped on every line",
       "421-4.7.0 try again\r\n421-4.7.0 later\r\n421 4.7.0 please\r\n",
       421,
       core::EnhancedStatus{4, 7, 0},
       {"try again", "later", "please"},
       "421 4.7.0 try again later please"},
      {"status only", "250 2.0.0\r\n", 250, core::EnhancedStatus{2, 0, 0}, {""}, "250 2.0.0"},
      {"not a status", "250 2.0 ok\r\n", 250, std::nullopt, {"2.0 ok"}, "250 2.0 ok"},
      {"empty continuation", "250-\r\n250 ok\r\n", 250, std::nullopt, {"", "ok"}, "250 ok"},
      // A terminal escape or a TAB from the server stays visible wherever the text goes.
      {"control characters escaped",
       "550-5.7.1 no\x1b[2J\tway\r\n550 5.7.1 bye\x7f\r\n",
       550,
       core::EnhancedStatus{5, 7, 1},
       {"no\\x1b[2J\\x09way", "bye\\x7f"},
       "550 5.7.1 no\\x1b[2J\\x09way bye\\x7f"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto run = parse_all(c.input, c.input.size());
    ASSERT_FALSE(run.error) << describe(*run.error);
    ASSERT_EQ(run.replies.size(), 1u);
    const SmtpReply& reply = run.replies[0];
    EXPECT_EQ(reply.code, c.code);
    EXPECT_EQ(reply.status, c.status);
    EXPECT_EQ(reply.lines, c.lines);
    EXPECT_EQ(reply.str(), c.str);
  }
}

TEST(SmtpReply, ClassifiesByCode) {
  const SmtpReply ok{250, std::nullopt, {}};
  const SmtpReply go_on{354, std::nullopt, {}};
  const SmtpReply later{451, std::nullopt, {}};
  const SmtpReply never{554, std::nullopt, {}};
  EXPECT_TRUE(ok.is_positive());
  EXPECT_TRUE(go_on.is_intermediate());
  EXPECT_FALSE(go_on.is_positive());
  EXPECT_TRUE(later.is_transient());
  EXPECT_FALSE(later.is_permanent());
  EXPECT_TRUE(never.is_permanent());
}

struct BadCase {
  const char* name;
  std::string input;
  ReplyError error;
};

TEST(ReplyParser, RejectsMalformedReplies) {
  const std::vector<BadCase> cases = {
      {"bare LF", "250 ok\n", ReplyError::bare_line_feed},
      {"bare LF in multi-line", "250-a\r\n250-b\n250 c\r\n", ReplyError::bare_line_feed},
      {"bare CR", "250 o\rk\r\n", ReplyError::bare_carriage_return},
      {"NUL", std::string("250 o\0k\r\n", 9), ReplyError::nul_byte},
      {"missing separator", "250ok\r\n", ReplyError::missing_separator},
      {"wrong separator", "250_ok\r\n", ReplyError::missing_separator},
      {"garbage", "HTTP/1.1 400 Bad Request\r\n", ReplyError::malformed_code},
      {"short", "25\r\n", ReplyError::malformed_code},
      {"empty line", "\r\n", ReplyError::malformed_code},
      {"1yz code", "199 hi\r\n", ReplyError::malformed_code},
      {"6yz code", "600 hi\r\n", ReplyError::malformed_code},
      {"second digit 6", "260 hi\r\n", ReplyError::malformed_code},
      {"inconsistent codes", "250-a\r\n251 b\r\n", ReplyError::inconsistent_code},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto run = parse_all(c.input, c.input.size());
    EXPECT_EQ(run.error, c.error);
    EXPECT_TRUE(run.replies.empty());
  }
}

TEST(ReplyParser, AcceptsLinesUpToTheCapAndRejectsLonger) {
  const std::string longest = "250 " + std::string(max_reply_line_octets - 6, 'x') + "\r\n";
  ASSERT_EQ(longest.size(), max_reply_line_octets);
  auto ok = parse_all(longest, longest.size());
  ASSERT_FALSE(ok.error);
  ASSERT_EQ(ok.replies.size(), 1u);

  const std::string too_long = "250 " + std::string(max_reply_line_octets - 5, 'x') + "\r\n";
  EXPECT_EQ(parse_all(too_long, too_long.size()).error, ReplyError::line_too_long);
}

// The longest legal line, all control characters: escaped, its text stays within the text cap.
TEST(ReplyParser, LongestLineOfControlCharactersStaysWithinTheTextCap) {
  const std::string line = "550 " + std::string(max_reply_line_octets - 6, '\t') + "\r\n";
  auto run = parse_all(line, line.size());
  ASSERT_FALSE(run.error);
  ASSERT_EQ(run.replies.size(), 1u);
  const std::string& text = run.replies[0].lines.at(0);
  EXPECT_EQ(text.size(), 4 * (max_reply_line_octets - 6));
  EXPECT_LE(text.size(), max_reply_text_octets);
  EXPECT_EQ(text.substr(0, 8), "\\x09\\x09");
}

TEST(ReplyParser, MegabyteLineFailsWithBoundedMemory) {
  const std::string line = "250 " + std::string(1024 * 1024, 'x') + "\r\n";
  const std::size_t read_size = 4096;
  auto run = parse_all(line, read_size);
  EXPECT_EQ(run.error, ReplyError::line_too_long);
  EXPECT_LE(run.max_buffered, max_reply_line_octets + read_size);
}

TEST(ReplyParser, MegabyteLineWithoutLineEndFailsFedByteByByte) {
  ReplyParser parser;
  std::optional<ReplyError> error;
  std::size_t max_buffered = 0;
  for (std::size_t i = 0; i < 1024 * 1024 && !error; ++i) {
    parser.feed(i < 3 ? "2" : "x");
    auto result = parser.next();
    max_buffered = std::max(max_buffered, parser.buffered_bytes());
    if (!result) error = result.error();
  }
  EXPECT_EQ(error, ReplyError::line_too_long);
  EXPECT_LE(max_buffered, max_reply_line_octets);
  parser.feed("more input after the error");
  EXPECT_EQ(parser.buffered_bytes(), 0u);
  EXPECT_TRUE(parser.failed());
}

TEST(ReplyParser, TenThousandLineReplyFailsWithBoundedMemory) {
  std::string reply;
  for (int i = 0; i < 10000; ++i) reply += "250-line " + std::to_string(i) + "\r\n";
  reply += "250 end\r\n";
  const std::size_t read_size = 4096;
  auto run = parse_all(reply, read_size);
  EXPECT_EQ(run.error, ReplyError::too_many_lines);
  EXPECT_TRUE(run.replies.empty());
  EXPECT_LE(run.max_buffered, read_size + max_reply_line_octets);
}

TEST(ReplyParser, AcceptsTheMaximumNumberOfLines) {
  std::string reply;
  for (std::size_t i = 1; i < max_reply_lines; ++i) reply += "250-x\r\n";
  reply += "250 end\r\n";
  auto run = parse_all(reply, reply.size());
  ASSERT_FALSE(run.error);
  ASSERT_EQ(run.replies.size(), 1u);
  EXPECT_EQ(run.replies[0].lines.size(), max_reply_lines);
}

TEST(ReplyParser, ByteByByteGivesTheSameRepliesAsOneChunk) {
  const std::string stream =
      "220 mx.example ESMTP\r\n250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
      "250 2.1.0 Ok\r\n550 5.1.1 no such user\r\n354 go ahead\r\n250 2.0.0 queued as 1\r\n";
  auto whole = parse_all(stream, stream.size());
  auto bytes = parse_all(stream, 1);
  ASSERT_FALSE(whole.error);
  ASSERT_FALSE(bytes.error);
  ASSERT_EQ(whole.replies.size(), 6u);
  ASSERT_EQ(bytes.replies.size(), whole.replies.size());
  for (std::size_t i = 0; i < whole.replies.size(); ++i) {
    EXPECT_EQ(bytes.replies[i].code, whole.replies[i].code);
    EXPECT_EQ(bytes.replies[i].status, whole.replies[i].status);
    EXPECT_EQ(bytes.replies[i].lines, whole.replies[i].lines);
  }
}

TEST(ReplyParser, WaitsForTheLastLineOfAMultiLineReply) {
  ReplyParser parser;
  parser.feed("250-first\r\n250-second\r\n");
  auto partial = parser.next();
  ASSERT_TRUE(partial.has_value());
  EXPECT_FALSE(partial->has_value());
  parser.feed("250 last\r\n");
  auto complete = parser.next();
  ASSERT_TRUE(complete.has_value() && complete->has_value());
  EXPECT_EQ((*complete)->lines.size(), 3u);
  EXPECT_EQ(parser.buffered_bytes(), 0u);
}

}  // namespace
}  // namespace mxrelay::mta
