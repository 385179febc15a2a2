// tests/mta/protocol: after every way a transaction can fail (a BDAT content error, an
// end-of-data rejection, a failed store, RSET in the middle of BDAT, a refused STARTTLS) the
// next commands see a clean transaction: no sender, no recipients, no content left over, as
// the 2026 Postfix audits demanded. And 100,000 one-octet BDAT chunks stay bounded.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "smtp_server_dialogue.hpp"

namespace mxrelay::mta {
namespace {

using testing::crlf_lines;
using testing::Dialogue;
using testing::test_context;

const std::string kOpen =
    crlf_lines({"EHLO client.test", "MAIL FROM:<old@client.test>", "RCPT TO:<old@remote.test>"});

std::string bdat(std::string_view content, bool last = false) {
  return "BDAT " + std::to_string(content.size()) + (last ? " LAST" : "") + "\r\n" +
         std::string(content);
}

struct Disruption {
  const char* name;
  std::string input;  // after EHLO, MAIL and RCPT of the old transaction
  std::string reply;  // the reply that ends the old transaction
  bool store_fails = false;
  bool tls = false;
};

class StateReset : public ::testing::TestWithParam<Disruption> {};

// The old transaction ends, then: DATA and BDAT without MAIL are refused, RCPT without
// MAIL is refused, and a new transaction carries only its own envelope and content.
TEST_P(StateReset, TheNextTransactionStartsClean) {
  const auto& disruption = GetParam();
  auto context = test_context();
  context.limits.max_message_size = 4096;
  context.tls_available = disruption.tls;
  Dialogue dialogue(context);
  if (disruption.store_fails)
    dialogue.fail_next_store(core::Failure::temporary(452, {4, 3, 1}, "disk full"));
  dialogue.feed(kOpen + disruption.input);
  ASSERT_NE(dialogue.output().find(disruption.reply), std::string::npos) << dialogue.output();
  const auto stored_before = dialogue.stored().size();
  dialogue.take_output();

  dialogue.feed(crlf_lines({"DATA", "RCPT TO:<stray@remote.test>"}) + bdat("x\r\n", true));
  EXPECT_EQ(dialogue.take_output(),
            crlf_lines({"503 5.5.1 Error: need MAIL command", "503 5.5.1 Error: need MAIL command",
                        "503 5.5.1 Error: need MAIL command"}));

  dialogue.feed(crlf_lines({"MAIL FROM:<new@client.test>", "RCPT TO:<new@remote.test>"}) +
                bdat("Subject: new\r\n\r\nnew\r\n", true));
  ASSERT_EQ(dialogue.stored().size(), stored_before + 1) << dialogue.output();
  const auto& message = dialogue.stored().back();
  EXPECT_EQ(message.sender, "new@client.test");
  EXPECT_EQ(message.recipients, std::vector<std::string>{"new@remote.test"});
  EXPECT_EQ(message.data, "Subject: new\r\n\r\nnew\r\n");
  EXPECT_FALSE(dialogue.closed());
}

INSTANTIATE_TEST_SUITE_P(
    AfterEveryFailure, StateReset,
    ::testing::Values(
        Disruption{"BdatBareLineEnding", bdat("a\r\n") + bdat("b\nc\r\n") + bdat("d\r\n", true),
                   "550 5.6.2"},
        Disruption{"BdatTooBig", bdat(std::string(5000, 'a'), true), "552 5.3.4"},
        Disruption{"EndOfDataRejection",
                   "DATA\r\nSubject: x\r\n\r\n" + std::string(1200, 'a') + "\r\n.\r\n",
                   "552 5.3.4 Message rejected: line 3"},
        Disruption{"DataBareLineEnding", "DATA\r\nSubject: x\r\n\r\nbare\nlf\r\n.\r\n",
                   "550 5.6.2"},
        Disruption{"StoreFailedAfterData", "DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n", "452 4.3.1",
                   true},
        Disruption{"StoreFailedAfterBdat", bdat("Subject: x\r\n\r\nbody\r\n", true), "452 4.3.1",
                   true},
        Disruption{"RsetInTheMiddleOfBdat", bdat("Subject: x\r\n") + "RSET\r\n", "250 2.0.0 Ok"},
        Disruption{"StartTlsRefusedInATransaction", "STARTTLS\r\nRSET\r\n",
                   "503 5.5.1 Error: STARTTLS not allowed in a mail transaction", false, true},
        Disruption{"StartTlsNotOffered", "STARTTLS\r\nRSET\r\n",
                   "502 5.5.1 Error: command not implemented"}),
    [](const auto& info) { return std::string(info.param.name); });

// RFC 3207 4.2: after the TLS handshake the session forgets everything it was told before
// it, the greeting included.
TEST(StateReset, AfterAcceptedStartTlsTheSessionForgetsTheOldGreeting) {
  auto context = test_context();
  context.tls_available = true;
  Dialogue dialogue(context);
  dialogue.feed(crlf_lines({"EHLO client.test", "STARTTLS"}));
  ASSERT_EQ(dialogue.buffered_at_tls().size(), 1u);
  dialogue.take_output();
  dialogue.feed(crlf_lines({"MAIL FROM:<a@client.test>"}));
  EXPECT_EQ(dialogue.take_output(), crlf_lines({"503 5.5.1 Error: send HELO/EHLO first"}));
}

TEST(StateReset, OneHundredThousandOneOctetChunksStayBounded) {
  auto context = test_context();
  context.limits.max_message_size = 200'000;
  Dialogue dialogue(context);
  dialogue.feed(
      crlf_lines({"EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<b@remote.test>"}));
  std::string content;
  constexpr int kChunks = 100'000;
  std::size_t most_buffered = 0;
  for (int i = 0; i < kChunks; ++i) {
    const char octet = i % 50 == 49 ? '\n' : (i % 50 == 48 ? '\r' : 'a');
    content += octet;
    dialogue.feed(bdat(std::string(1, octet)));
    most_buffered = std::max(most_buffered, dialogue.session().buffered_bytes());
    if (i % 1000 == 0) dialogue.take_output();
  }
  dialogue.feed(bdat("", true));
  ASSERT_EQ(dialogue.stored().size(), 1u);
  EXPECT_EQ(dialogue.stored()[0].data, content);
  EXPECT_LE(most_buffered, 16u);  // nothing accumulates per chunk but the content itself
  EXPECT_FALSE(dialogue.closed());
}

}  // namespace
}  // namespace mxrelay::mta
