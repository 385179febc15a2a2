// tests: SmtpServerSession against SMTP smuggling, input split at every position, a
// connection lost or timed out at every position, and hostile line lengths.
#include <gtest/gtest.h>

#include "mta/protocol/smtp_server_session.hpp"
#include "smtp_server_dialogue.hpp"

namespace mxrelay::mta {
namespace {

using testing::crlf_lines;
using testing::Dialogue;
using testing::kEhloReply;
using testing::test_context;

const std::string kSmuggled =
    crlf_lines({"MAIL FROM:<ceo@victim.test>", "RCPT TO:<target@remote.test>", "DATA",
                "From: ceo@victim.test", "", "smuggled"});

class SmugglingEnding : public ::testing::TestWithParam<std::string> {};

std::string smuggling_dialogue(const std::string& ending) {
  return crlf_lines({"EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<b@remote.test>",
                     "DATA", "From: a@client.test", "", "hello"}) +
         "hello" + ending + kSmuggled + "\r\n.\r\n" + crlf_lines({"QUIT"});
}

const std::string kSmugglingReplies =
    kEhloReply +
    crlf_lines({"250 2.1.0 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>",
                "550 5.6.2 Message rejected: bare CR, LF or NUL not allowed", "221 2.0.0 Bye"});

TEST_P(SmugglingEnding, NeverEndsDataAndTheMessageIsRefusedOnce) {
  std::string input = smuggling_dialogue(GetParam());
  for (std::size_t chunk : {input.size(), std::size_t{1}, std::size_t{7}}) {
    Dialogue dialogue;
    dialogue.feed_in_chunks(input, chunk);
    EXPECT_TRUE(dialogue.stored().empty()) << "chunk size " << chunk;
    EXPECT_EQ(dialogue.output(), kSmugglingReplies) << "chunk size " << chunk;
    EXPECT_TRUE(dialogue.closed());
  }
}

INSTANTIATE_TEST_SUITE_P(SmtpServerSession, SmugglingEnding,
                         ::testing::Values("\n.\n", "\r.\r", "\r.\n", "\n.\r", "\n.\r\n", "\r\n.\n",
                                           "\r.\r\n", "\r\n.\r", std::string("\r\n\0.\r\n", 6)),
                         [](const auto& info) {
                           std::string name;
                           for (char c : info.param)
                             name += c == '\r' ? "CR" : c == '\n' ? "LF" : c == '.' ? "Dot" : "Nul";
                           return name;
                         });

testing::Dialogue normalizing_dialogue() {
  auto context = test_context();
  context.normalize_bare_newlines = true;
  return Dialogue(context);
}

const std::string kTransaction =
    crlf_lines({"EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<b@remote.test>"});
const std::string kTransactionReplies = kEhloReply + crlf_lines({"250 2.1.0 Ok", "250 2.1.5 Ok"});

// server.bare_newlines = "normalize" for an exempted legacy client: bare LF lines are
// stored as CRLF lines, and (the known trade-off) "\n.\n" ends the data.
TEST(SmtpServerNormalizeBareNewlines, BareLfMessageIsStoredWithCrlfLines) {
  for (std::size_t chunk : {std::size_t{1}, std::size_t{4096}}) {
    auto dialogue = normalizing_dialogue();
    dialogue.feed_in_chunks(kTransaction + "DATA\r\na\nb\n.\nQUIT\r\n", chunk);
    EXPECT_EQ(dialogue.output(),
              kTransactionReplies + crlf_lines({"354 End data with <CR><LF>.<CR><LF>",
                                                "250 2.0.0 Ok: queued as Q1", "221 2.0.0 Bye"}))
        << "chunk size " << chunk;
    ASSERT_EQ(dialogue.stored().size(), 1u);
    EXPECT_EQ(dialogue.stored()[0].data, "a\r\nb\r\n");
  }
}

class NormalizedEnding : public ::testing::TestWithParam<std::string> {};

// Every bare CR/LF variant of the end of data ends it for an exempted client: what follows
// is taken as commands, as Postfix does for the clients it exempts.
TEST_P(NormalizedEnding, EndsDataForAnExemptedClient) {
  std::string input = smuggling_dialogue(GetParam());
  for (std::size_t chunk : {input.size(), std::size_t{1}, std::size_t{7}}) {
    auto dialogue = normalizing_dialogue();
    dialogue.feed_in_chunks(input, chunk);
    EXPECT_EQ(dialogue.output(),
              kEhloReply +
                  crlf_lines({"250 2.1.0 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>",
                              "250 2.0.0 Ok: queued as Q1", "250 2.1.0 Ok", "250 2.1.5 Ok",
                              "354 End data with <CR><LF>.<CR><LF>", "250 2.0.0 Ok: queued as Q2",
                              "221 2.0.0 Bye"}))
        << "chunk size " << chunk;
    ASSERT_EQ(dialogue.stored().size(), 2u) << "chunk size " << chunk;
    EXPECT_EQ(dialogue.stored()[0].data, "From: a@client.test\r\n\r\nhello\r\nhello\r\n");
    EXPECT_EQ(dialogue.stored()[1].data, "From: ceo@victim.test\r\n\r\nsmuggled\r\n\r\n");
  }
}

INSTANTIATE_TEST_SUITE_P(SmtpServerSession, NormalizedEnding,
                         ::testing::Values("\n.\n", "\r.\r", "\r.\n", "\n.\r", "\n.\r\n", "\r\n.\n",
                                           "\r.\r\n", "\r\n.\r"),
                         [](const auto& info) {
                           std::string name;
                           for (char c : info.param)
                             name += c == '\r' ? "CR" : c == '\n' ? "LF" : "Dot";
                           return name;
                         });

TEST(SmtpServerNormalizeBareNewlines, NulStillRefusesTheMessage) {
  auto dialogue = normalizing_dialogue();
  dialogue.feed(smuggling_dialogue(std::string("\r\n\0.\r\n", 6)));
  EXPECT_TRUE(dialogue.stored().empty());
  EXPECT_EQ(dialogue.output(), kSmugglingReplies);
}

std::string bdat(std::string_view content, bool last = false) {
  return "BDAT " + std::to_string(content.size()) + (last ? " LAST" : "") + "\r\n" +
         std::string(content);
}

TEST(SmtpServerNormalizeBareNewlines, BdatContentIsNormalizedAcrossChunks) {
  // A CR ending one chunk pairs with the LF starting the next; a final bare CR is a line end.
  const std::string input =
      kTransaction + bdat("a\nb\r") + bdat("\nc\rd\r") + bdat("e\r", true) + "QUIT\r\n";
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, input.size()}) {
    auto dialogue = normalizing_dialogue();
    dialogue.feed_in_chunks(input, chunk);
    EXPECT_EQ(dialogue.output(),
              kTransactionReplies +
                  crlf_lines({"250 2.0.0 Ok: 4 octets received", "250 2.0.0 Ok: 5 octets received",
                              "250 2.0.0 Ok: queued as Q1", "221 2.0.0 Bye"}))
        << "chunk size " << chunk;
    ASSERT_EQ(dialogue.stored().size(), 1u);
    EXPECT_EQ(dialogue.stored()[0].data, "a\r\nb\r\nc\r\nd\r\ne\r\n");
  }
}

TEST(SmtpServerNormalizeBareNewlines, BdatNulIsStillRefused) {
  auto dialogue = normalizing_dialogue();
  dialogue.feed(kTransaction + bdat(std::string_view("a\nb\0\n", 5), true) + "QUIT\r\n");
  EXPECT_TRUE(dialogue.stored().empty());
  EXPECT_EQ(dialogue.output(),
            kTransactionReplies +
                crlf_lines({"550 5.6.2 Message rejected: bare CR, LF or NUL not allowed",
                            "221 2.0.0 Bye"}));
}

TEST(SmtpServerSession, BdatBareLfIsRefusedWithoutTheExemption) {
  Dialogue dialogue;
  dialogue.feed(kTransaction + bdat("a\nb\n", true) + "QUIT\r\n");
  EXPECT_TRUE(dialogue.stored().empty());
  EXPECT_EQ(dialogue.output(),
            kTransactionReplies +
                crlf_lines({"550 5.6.2 Message rejected: bare CR, LF or NUL not allowed",
                            "221 2.0.0 Bye"}));
}

// A dialogue with pipelining, an error, dot-stuffing and two messages.
const std::string kDialogue = crlf_lines(
    {"EHLO client.test", "MAIL FROM:<a@client.test> BODY=8BITMIME", "RCPT TO:<b@remote.test>",
     "RCPT TO:<bad@>", "DATA", "Subject: one", "", "..leading dot", "body", ".", "MAIL FROM:<>",
     "RCPT TO:<c@remote.test>", "DATA", ".", "NOOP", "QUIT"});

std::vector<std::size_t> final_dot_ends(const std::string& dialogue) {
  std::vector<std::size_t> ends;
  for (std::size_t pos = dialogue.find("\r\n.\r\n"); pos != std::string::npos;
       pos = dialogue.find("\r\n.\r\n", pos + 1))
    ends.push_back(pos + 5);
  return ends;
}

struct Outcome {
  std::string output;
  std::vector<std::string> stored_data;
  bool closed = false;
  bool operator==(const Outcome&) const = default;
};

Outcome outcome_of(const Dialogue& dialogue) {
  Outcome outcome{dialogue.output(), {}, dialogue.closed()};
  for (const auto& message : dialogue.stored()) outcome.stored_data.push_back(message.data);
  return outcome;
}

TEST(SmtpServerSession, SplittingTheInputAnywhereChangesNothing) {
  Dialogue whole;
  whole.feed(kDialogue);
  Outcome expected = outcome_of(whole);
  ASSERT_EQ(expected.stored_data,
            (std::vector<std::string>{"Subject: one\r\n\r\n.leading dot\r\nbody\r\n", ""}));
  ASSERT_TRUE(expected.closed);

  Dialogue byte_by_byte;
  byte_by_byte.feed_in_chunks(kDialogue, 1);
  EXPECT_EQ(outcome_of(byte_by_byte), expected);

  for (std::size_t split = 1; split < kDialogue.size(); ++split) {
    Dialogue dialogue;
    dialogue.feed(kDialogue.substr(0, split));
    dialogue.feed(kDialogue.substr(split));
    ASSERT_EQ(outcome_of(dialogue), expected) << "split at " << split;
  }
}

TEST(SmtpServerSession, ConnectionLostAtAnyPointStoresOnlyMessagesWhoseDotArrived) {
  auto ends = final_dot_ends(kDialogue);
  ASSERT_EQ(ends.size(), 2u);
  for (std::size_t cut = 0; cut <= kDialogue.size(); ++cut) {
    std::size_t complete = 0;
    for (auto end : ends) complete += cut >= end ? 1 : 0;
    for (std::size_t chunk : {std::size_t{1}, kDialogue.size()}) {
      Dialogue dialogue;
      dialogue.feed_in_chunks(kDialogue.substr(0, cut), chunk);
      dialogue.eof();
      ASSERT_TRUE(dialogue.closed());
      ASSERT_EQ(dialogue.stored().size(), complete) << "cut at " << cut;
    }
  }
}

TEST(SmtpServerSession, TimeoutAtAnyPointAnswers421AndStoresOnlyCompleteMessages) {
  auto ends = final_dot_ends(kDialogue);
  for (std::size_t cut = 0; cut < kDialogue.size(); ++cut) {
    std::size_t complete = 0;
    for (auto end : ends) complete += cut >= end ? 1 : 0;
    Dialogue dialogue;
    dialogue.feed(kDialogue.substr(0, cut));
    bool quit_seen = dialogue.closed();
    dialogue.timeout();
    ASSERT_TRUE(dialogue.closed());
    ASSERT_EQ(dialogue.stored().size(), complete) << "cut at " << cut;
    if (!quit_seen) {
      ASSERT_TRUE(dialogue.output().ends_with("421 4.4.2 mx.test Error: timeout exceeded\r\n"));
    }
  }
}

TEST(SmtpServerSession, CommandLineWithoutCrlfKeepsTheBufferBounded) {
  Dialogue dialogue;
  std::string chunk(64 * 1024, 'A');
  for (int i = 0; i < 160; ++i) {  // 10 MiB without a CRLF
    dialogue.feed(chunk);
    ASSERT_LE(dialogue.session().buffered_bytes(), 1u);
  }
  EXPECT_EQ(dialogue.output(), "");
  dialogue.feed("\r");
  dialogue.feed("\nNOOP\r\n");
  EXPECT_EQ(dialogue.output(),
            crlf_lines({"500 5.5.2 Error: command line too long", "250 2.0.0 Ok"}));
}

TEST(SmtpServerSession, MessageLineWithoutCrlfKeepsMemoryBounded) {
  Dialogue dialogue;
  dialogue.feed(crlf_lines({"EHLO client.test", "MAIL FROM:<a@client.test>",
                            "RCPT TO:<b@remote.test>", "DATA", "Subject: x", ""}));
  std::string chunk(64 * 1024, 'A');
  chunk.back() = '\r';
  for (int i = 0; i < 160; ++i) {  // 10 MiB in one line
    dialogue.feed(chunk);
    ASSERT_LE(dialogue.session().buffered_bytes(), 1u);
    ASSERT_EQ(dialogue.session().message().data.size(), 0u);
  }
  dialogue.feed("\r\n.\r\nNOOP\r\n");
  EXPECT_TRUE(dialogue.stored().empty());
  EXPECT_EQ(dialogue.output(),
            kEhloReply +
                crlf_lines({"250 2.1.0 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>",
                            "552 5.3.4 Message rejected: line 3 is longer than 998 characters",
                            "250 2.0.0 Ok"}));
}

TEST(SmtpServerSession, OversizedMessageStopsGrowingAtTheLimit) {
  auto context = test_context();
  context.limits.max_message_size = 100 * 1024;
  Dialogue dialogue(context);
  dialogue.feed(crlf_lines(
      {"EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<b@remote.test>", "DATA"}));
  std::string line = std::string(78, 'x') + "\r\n";
  std::string chunk;
  while (chunk.size() < 64 * 1024) chunk += line;
  for (int i = 0; i < 20; ++i) {
    dialogue.feed(chunk);
    ASSERT_LE(dialogue.session().message().data.size(), context.limits.max_message_size);
  }
  dialogue.feed(".\r\n");
  EXPECT_TRUE(dialogue.stored().empty());
  EXPECT_TRUE(dialogue.output().ends_with("552 5.3.4 Message size exceeds fixed limit\r\n"));
}

}  // namespace
}  // namespace mxrelay::mta
