// tests: DATA-phase reading: end of data, dot-unstuffing, content verdicts, bounded memory.
#include "mta/protocol/smtp_data_reader.hpp"

#include <gtest/gtest.h>

namespace mxrelay::mta {
namespace {

constexpr DataLimits kLimits{.max_message_size = 10'000, .max_line_length = 1000, .max_hops = 3};

struct ReadResult {
  std::size_t consumed = 0;
  bool finished = false;
  DataVerdict verdict = DataVerdict::acceptable;
  std::string message;
};

ReadResult read_all(std::string_view input, DataLimits limits = kLimits,
                    BareLineEndings bare_line_endings = BareLineEndings::reject) {
  SmtpDataReader reader;
  reader.start(limits, bare_line_endings);
  ReadResult result;
  result.consumed = reader.read(input, result.message);
  result.finished = reader.finished();
  result.verdict = reader.verdict();
  return result;
}

TEST(SmtpDataReader, EndsAtTheFirstDotLineAndConsumesNothingAfterIt) {
  auto result = read_all("a\r\nb\r\n.\r\nMAIL FROM:<x@y>\r\n");
  EXPECT_TRUE(result.finished);
  EXPECT_EQ(result.consumed, 9u);
  EXPECT_EQ(result.message, "a\r\nb\r\n");
}

TEST(SmtpDataReader, EmptyMessage) {
  auto result = read_all(".\r\n");
  EXPECT_TRUE(result.finished);
  EXPECT_EQ(result.message, "");
}

TEST(SmtpDataReader, RemovesDotStuffing) {
  auto result = read_all("..\r\n...\r\n.a\r\na.\r\n. \r\n.\r\n");
  EXPECT_TRUE(result.finished);
  EXPECT_EQ(result.verdict, DataVerdict::acceptable);
  EXPECT_EQ(result.message, ".\r\n..\r\na\r\na.\r\n \r\n");
}

TEST(SmtpDataReader, LeavesAnIncompleteLineUnconsumed) {
  auto result = read_all("a\r\npartial line\r");
  EXPECT_FALSE(result.finished);
  EXPECT_EQ(result.consumed, 3u);
  EXPECT_EQ(result.message, "a\r\n");
}

TEST(SmtpDataReader, OnlyCrlfDotCrlfEndsData) {
  for (std::string_view input : std::initializer_list<std::string_view>{
           "x\n.\n", "x\r.\r", "x\r.\n", "x\n.\r", "x\n.\r\n", "x\r\n.\n", "x\r.\r\n", "x\r\n.\r",
           std::string_view("x\r\n\0.\r\n", 7), "x\r\n .\r\n", "x\r\n.x\r\n"}) {
    auto result = read_all(input);
    EXPECT_FALSE(result.finished) << ::testing::PrintToString(input);
  }
}

TEST(SmtpDataReader, RefusesBareLineEndingsAndNul) {
  for (std::string_view line : std::initializer_list<std::string_view>{
           "a\nb\r\n", "a\rb\r\n", "\n\r\n", "a\r\r\n", std::string_view("a\0b\r\n", 5)}) {
    auto result = read_all(std::string(line) + "ok\r\n.\r\n");
    EXPECT_TRUE(result.finished);
    EXPECT_EQ(result.verdict, DataVerdict::bare_line_ending) << ::testing::PrintToString(line);
    EXPECT_EQ(result.message, "");
  }
}

TEST(SmtpDataReader, CountsReceivedHeadersOnlyInTheHeaderSection) {
  EXPECT_EQ(
      read_all("Received: a\r\nRECEIVED:b\r\nreceived\t: c\r\n\r\nReceived: d\r\n.\r\n").verdict,
      DataVerdict::acceptable);
  EXPECT_EQ(read_all("Received: a\r\nReceived: b\r\nReceived: c\r\nReceived: d\r\n.\r\n").verdict,
            DataVerdict::too_many_hops);
  EXPECT_EQ(
      read_all("Received-SPF: a\r\nReceivedx: b\r\nX-Received: c\r\nReceived: d\r\n.\r\n").verdict,
      DataVerdict::acceptable);
}

TEST(SmtpDataReader, RefusesOversizedMessagesWithoutKeepingThem) {
  DataLimits limits = kLimits;
  limits.max_message_size = 10;
  auto fits = read_all("12345678\r\n.\r\n", limits);
  EXPECT_EQ(fits.verdict, DataVerdict::acceptable);
  auto too_big = read_all("12345678\r\n9\r\n.\r\n", limits);
  EXPECT_TRUE(too_big.finished);
  EXPECT_EQ(too_big.verdict, DataVerdict::message_too_big);
  EXPECT_EQ(too_big.message, "");
}

TEST(SmtpDataReader, DropsAnOverlongPartialLineAsItArrives) {
  SmtpDataReader reader;
  reader.start(kLimits);
  std::string message;
  std::string chunk(4096, 'x');
  chunk.back() = '\r';
  for (int i = 0; i < 100; ++i) {
    std::size_t consumed = reader.read(chunk, message);
    EXPECT_EQ(consumed, chunk.size() - 1);  // the trailing CR may start the CRLF
    chunk.front() = i % 2 ? '\n' : 'y';
  }
  EXPECT_EQ(reader.verdict(), DataVerdict::line_too_long);
  EXPECT_EQ(message, "");
  // "\r" kept from the last chunk, then "\n.\r\n": the dropped line's end is not a line start.
  EXPECT_EQ(reader.read("\r\n.\r\n", message), 5u);
  EXPECT_TRUE(reader.finished());
}

TEST(SmtpDataReader, ALineOfExactlyTheLimitIsAccepted) {
  auto fits = read_all(std::string(998, 'a') + "\r\n.\r\n");
  EXPECT_EQ(fits.verdict, DataVerdict::acceptable);
  auto too_long = read_all(std::string(999, 'a') + "\r\n.\r\n");
  EXPECT_EQ(too_long.verdict, DataVerdict::line_too_long);
}

ReadResult read_normalized(std::string_view input) {
  return read_all(input, kLimits, BareLineEndings::normalize);
}

TEST(SmtpDataReaderNormalize, BareLfLinesBecomeCrlfLinesAndLfDotLfEndsData) {
  auto result = read_normalized("a\nb\n.\nQUIT\r\n");
  EXPECT_TRUE(result.finished);
  EXPECT_EQ(result.verdict, DataVerdict::acceptable);
  EXPECT_EQ(result.consumed, 6u);
  EXPECT_EQ(result.message, "a\r\nb\r\n");
}

TEST(SmtpDataReaderNormalize, EveryBareCrOrLfEndsALine) {
  struct Row {
    std::string_view input;
    std::string_view message;
  };
  for (const auto& row : std::initializer_list<Row>{
           {"a\rb\r\n.\r\n", "a\r\nb\r\n"},
           {"a\r\r\nb\n\n.\r", "a\r\n\r\nb\r\n\r\n"},
           {"..x\n.y\r.\n", ".x\r\ny\r\n"},
           {"a\r\nb\r\n.\r\n", "a\r\nb\r\n"},
       }) {
    auto result = read_normalized(std::string(row.input) + "Q");
    EXPECT_TRUE(result.finished) << ::testing::PrintToString(row.input);
    EXPECT_EQ(result.verdict, DataVerdict::acceptable) << ::testing::PrintToString(row.input);
    EXPECT_EQ(result.consumed, row.input.size()) << ::testing::PrintToString(row.input);
    EXPECT_EQ(result.message, row.message) << ::testing::PrintToString(row.input);
  }
}

TEST(SmtpDataReaderNormalize, AFinalCrWaitsForTheNextOctet) {
  SmtpDataReader reader;
  reader.start(kLimits, BareLineEndings::normalize);
  std::string message;
  EXPECT_EQ(reader.read("a\r", message), 0u);
  EXPECT_EQ(reader.read("a\r\n.\r", message), 3u);
  EXPECT_EQ(message, "a\r\n");
  EXPECT_FALSE(reader.finished());
  EXPECT_EQ(reader.read(".\r\n", message), 3u);
  EXPECT_TRUE(reader.finished());
  EXPECT_EQ(message, "a\r\n");
}

TEST(SmtpDataReaderNormalize, NulIsStillRefused) {
  auto result = read_normalized(std::string_view("a\0b\nok\n.\n", 9));
  EXPECT_TRUE(result.finished);
  EXPECT_EQ(result.verdict, DataVerdict::bare_line_ending);
  EXPECT_EQ(result.message, "");
}

TEST(SmtpDataReaderNormalize, LineLimitsStillApply) {
  auto fits = read_normalized(std::string(998, 'a') + "\n.\n");
  EXPECT_EQ(fits.verdict, DataVerdict::acceptable);
  auto too_long = read_normalized(std::string(999, 'a') + "\n.\n");
  EXPECT_TRUE(too_long.finished);
  EXPECT_EQ(too_long.verdict, DataVerdict::line_too_long);
}

}  // namespace
}  // namespace mxrelay::mta
