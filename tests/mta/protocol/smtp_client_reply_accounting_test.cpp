// Tests for reply accounting in the outbound client session (RFC 5321 4.1.1.4, RFC 2920 3.1):
// a reply that no command asked for, after any step, ends the session as a protocol error
// (4.5.0) and the message in flight is never counted as delivered; a reply with an
// addressing status in the place of the content's reply means the pairing slipped; a closing
// 421 after the last reply is not a surplus. Includes the desynchronisation found against a
// scripted next hop (an extra 250 after MAIL with PIPELINING and CHUNKING), split at every byte.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client_script.hpp"

namespace mxrelay::mta {
namespace {

const std::string body = "Subject: a\r\n\r\nbody\r\n";
const std::string greeting = "220 mx.example ESMTP\r\n";
const std::string ehlo_plain = "250-mx.example\r\n250 ENHANCEDSTATUSCODES\r\n";
const std::string ehlo_pipelining = "250-mx.example\r\n250 PIPELINING\r\n";
const std::string ehlo_chunking = "250-mx.example\r\n250-PIPELINING\r\n250 CHUNKING\r\n";
const std::string mail_ok = "250 2.1.0 Ok\r\n";
const std::string rcpt_ok = "250 2.1.5 Ok\r\n";
const std::string data_go = "354 go ahead\r\n";
const std::string queued = "250 2.0.0 Ok: queued\r\n";
const std::string bye = "221 2.0.0 Bye\r\n";
const std::string extra = "250 2.0.0 extra\r\n";

OutboundMessage message_to(const std::string& recipient) {
  OutboundMessage out;
  out.sender = "sender@relay.example";
  out.recipients = {recipient};
  out.data = &body;
  return out;
}
const OutboundMessage first = message_to("a@dest.example");
const OutboundMessage second = message_to("b@dest.example");

void expect_out_of_step(const Run& out) {
  EXPECT_TRUE(out.protocol_error);
  EXPECT_TRUE(out.closed);
  const core::Failure* failure = nullptr;
  if (out.results.empty()) {
    ASSERT_TRUE(out.connection_failure);
    failure = &*out.connection_failure;
  } else {
    ASSERT_EQ(out.results.size(), 1u) << "a message after the desynchronisation was started";
    EXPECT_FALSE(out.results[0].delivered(0));
    EXPECT_EQ(out.results[0].scope, FailureScope::connection);
    ASSERT_TRUE(out.results[0].failure);
    failure = &*out.results[0].failure;
  }
  EXPECT_FALSE(failure->is_permanent());
  EXPECT_EQ(failure->status.str(), "4.5.0");
  EXPECT_NE(failure->reason.find("no command asked for"), std::string::npos) << failure->reason;
}

TEST(ReplyAccounting, SurplusAfterEveryStepIsAProtocolError) {
  struct Row {
    const char* name;
    std::vector<std::string> replies;
  } rows[] = {
      {"after the greeting", {greeting + extra, ehlo_plain, mail_ok, rcpt_ok, data_go, queued}},
      {"after EHLO", {greeting, ehlo_plain + extra, mail_ok, rcpt_ok, data_go, queued}},
      {"after MAIL", {greeting, ehlo_plain, mail_ok + extra, rcpt_ok, data_go, queued}},
      {"after RCPT", {greeting, ehlo_plain, mail_ok, rcpt_ok + extra, data_go, queued}},
      {"after DATA", {greeting, ehlo_plain, mail_ok, rcpt_ok, data_go + extra, queued}},
      {"after the final dot", {greeting, ehlo_plain, mail_ok, rcpt_ok, data_go, queued + extra}},
      {"after the pipelined group",
       {greeting, ehlo_pipelining, mail_ok + rcpt_ok + data_go + extra, queued}},
      {"after BDAT LAST", {greeting, ehlo_chunking, mail_ok + rcpt_ok + queued + extra}},
      {"a partial line after the final dot",
       {greeting, ehlo_plain, mail_ok, rcpt_ok, data_go, queued + "25"}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto out = run(row.replies, {&first, &second});
    expect_out_of_step(out);
    EXPECT_EQ(out.wire.find("QUIT"), std::string::npos);  // the connection is dropped
    EXPECT_NE(out.transcript.find("no command asked for>"), std::string::npos) << out.transcript;
  }
}

TEST(ReplyAccounting, RepliesSentAheadOfTheirCommandsAreAProtocolError) {
  const auto out = run({greeting, ehlo_plain, mail_ok, rcpt_ok, data_go, queued, bye}, {&first},
                       Feed::all_at_once);
  expect_out_of_step(out);
  EXPECT_TRUE(out.wire.empty());
}

TEST(ReplyAccounting, AClosing421AfterTheLastReplyIsNotASurplus) {
  const auto out = run({greeting, ehlo_plain, mail_ok, rcpt_ok, data_go,
                        queued + "421 4.4.2 idle too long, closing\r\n"},
                       {&first});
  EXPECT_FALSE(out.protocol_error);
  ASSERT_EQ(out.results.size(), 1u);
  EXPECT_TRUE(out.results[0].delivered(0));
}

TEST(ReplyAccounting, AnAddressingStatusForTheContentIsOutOfPlace) {
  for (const auto& ehlo : {ehlo_plain, ehlo_chunking}) {
    const bool chunking = ehlo == ehlo_chunking;
    SCOPED_TRACE(chunking ? "BDAT" : "DATA");
    const auto out = chunking ? run({greeting, ehlo, mail_ok + rcpt_ok + rcpt_ok}, {&first})
                              : run({greeting, ehlo, mail_ok, rcpt_ok, data_go, rcpt_ok}, {&first});
    expect_out_of_step(out);
  }
}

// The next hop answers MAIL with its reply and an unsolicited "250 2.0.0 extra" in the same
// segment, then RCPT with 250 and the BDAT LAST chunk with 550. Before reply accounting the
// RCPT's 250 was taken as the chunk's reply (message delivered, though refused) and the 550
// bounced the next message. Wherever the stream is split, the first message is deferred and
// the second never sent on this connection.
TEST(ReplyAccounting, SurplusAfterMailNeverTurnsARefusalIntoADelivery) {
  const std::string stream =
      mail_ok + extra + rcpt_ok + "550 5.7.1 Message refused\r\n" + mail_ok + rcpt_ok + queued;
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    SCOPED_TRACE("split at byte " + std::to_string(split));
    std::vector<std::string> replies{greeting, ehlo_chunking};
    if (split > 0) replies.push_back(stream.substr(0, split));
    if (split < stream.size()) replies.push_back(stream.substr(split));
    const auto out = run(replies, {&first, &second});
    expect_out_of_step(out);
    EXPECT_EQ(out.wire.find("RCPT TO:<b@dest.example>"), std::string::npos);
  }
}

}  // namespace
}  // namespace mxrelay::mta
