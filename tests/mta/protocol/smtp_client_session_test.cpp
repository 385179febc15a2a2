// Tests for the outbound SMTP client state machine: scripted dialogues against a fake
// server, the same scripts fed in one chunk and byte by byte, and a lost connection or a
// timeout injected at every step; with DATA and with BDAT (RFC 3030).
#include "mta/protocol/smtp_client_session.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "client_script.hpp"

namespace mxrelay::mta {
namespace {

// A one-line summary of a result, for comparing runs.
std::string summary(const MessageResult& result) {
  std::string out = "scope=" + std::to_string(static_cast<int>(result.scope));
  if (result.failure) out += " failure=" + result.failure->str();
  for (std::size_t i = 0; i < result.recipients.size(); ++i) {
    out += result.delivered(i) ? " delivered" : " not-delivered";
    if (result.recipients[i].rejection) out += "(" + result.recipients[i].rejection->str() + ")";
  }
  return out;
}

const std::string body = "Subject: test\r\n\r\n.leading dot\r\nend\r\n";
const std::string stuffed_body = "Subject: test\r\n\r\n..leading dot\r\nend\r\n.\r\n";

const std::string greeting = "220 mx.example ESMTP\r\n";
const std::string ehlo_plain = "250-mx.example\r\n250 8BITMIME\r\n";
const std::string ehlo_pipelining = "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n";
const std::string mail_ok = "250 2.1.0 Ok\r\n";
const std::string rcpt_ok = "250 2.1.5 Ok\r\n";
const std::string data_go = "354 End data with <CR><LF>.<CR><LF>\r\n";
const std::string queued = "250 2.0.0 Ok: queued as ABC\r\n";
const std::string bye = "221 2.0.0 Bye\r\n";
const std::string ehlo_chunking = "250-mx.example\r\n250-8BITMIME\r\n250 CHUNKING\r\n";
const std::string ehlo_chunking_pipelining =
    "250-mx.example\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 8BITMIME\r\n";
const std::string bdat_ok = "250 2.0.0 Ok: queued as BDAT1\r\n";

OutboundMessage message_to(std::vector<std::string> recipients, const std::string* data = &body) {
  OutboundMessage message;
  message.sender = "sender@relay.example";
  message.recipients = std::move(recipients);
  message.data = data;
  return message;
}

TEST(SmtpClientSession, DeliversOneMessageWithoutPipelining) {
  const auto message = message_to({"a@dest.example"});
  const auto out = run({greeting, ehlo_plain, mail_ok, rcpt_ok, data_go, queued, bye}, {&message});
  EXPECT_EQ(out.wire,
            "EHLO relay.example\r\nMAIL FROM:<sender@relay.example>\r\n"
            "RCPT TO:<a@dest.example>\r\nDATA\r\n" +
                stuffed_body + "QUIT\r\n");
  EXPECT_EQ(out.input_waits, (std::vector<Wait>{Wait::greeting, Wait::ehlo, Wait::mail, Wait::rcpt,
                                                Wait::data_init, Wait::final_dot, Wait::quit}));
  EXPECT_EQ(out.send_waits, (std::vector<Wait>{Wait::ehlo, Wait::mail, Wait::rcpt, Wait::data_init,
                                               Wait::data_block, Wait::quit}));
  ASSERT_EQ(out.results.size(), 1u);
  EXPECT_EQ(out.results[0].scope, FailureScope::none);
  EXPECT_TRUE(out.results[0].delivered(0));
  EXPECT_EQ(out.results[0].final_reply.str(), "250 2.0.0 Ok: queued as ABC");
  EXPECT_FALSE(out.starved);
  EXPECT_TRUE(out.closed);
  EXPECT_FALSE(out.connection_failure);
}

TEST(SmtpClientSession, PipelinesMailRcptAndDataInOneSend) {
  const auto message = message_to({"a@dest.example", "b@dest.example"});
  SmtpClientSession session(context);
  ASSERT_EQ(session.next().kind, Kind::need_input);
  session.on_input(greeting);
  ASSERT_EQ(session.next().kind, Kind::send);
  ASSERT_EQ(session.next().kind, Kind::need_input);
  session.on_input(ehlo_pipelining);
  ASSERT_EQ(session.next().kind, Kind::ready);
  EXPECT_TRUE(session.capabilities().pipelining);
  session.start_message(message);
  const auto batch = session.next();
  ASSERT_EQ(batch.kind, Kind::send);
  EXPECT_EQ(batch.bytes,
            "MAIL FROM:<sender@relay.example> SIZE=" + std::to_string(body.size()) +
                "\r\nRCPT TO:<a@dest.example>\r\nRCPT TO:<b@dest.example>\r\nDATA\r\n");
  EXPECT_EQ(session.next().wait, Wait::mail);
  session.on_input(mail_ok + rcpt_ok + rcpt_ok + data_go);
  const auto content = session.next();
  ASSERT_EQ(content.kind, Kind::send);
  EXPECT_EQ(content.bytes, stuffed_body);
  EXPECT_EQ(content.wait, Wait::data_block);
  EXPECT_EQ(session.next().wait, Wait::final_dot);
  session.on_input(queued);
  ASSERT_EQ(session.next().kind, Kind::message_done);
  const auto result = session.take_result();
  EXPECT_TRUE(result.delivered(0));
  EXPECT_TRUE(result.delivered(1));
  EXPECT_TRUE(session.ready());
}

TEST(SmtpClientSession, FallsBackToHeloWhenEhloIsRefused) {
  const auto message = message_to({"a@dest.example"});
  const auto out = run({greeting, "502 5.5.2 Error: command not recognized\r\n",
                        "250 mx.example\r\n", mail_ok, rcpt_ok, data_go, queued, bye},
                       {&message});
  EXPECT_TRUE(out.wire.starts_with(
      "EHLO relay.example\r\nHELO relay.example\r\nMAIL FROM:<sender@relay.example>\r\n"));
  ASSERT_EQ(out.results.size(), 1u);
  EXPECT_TRUE(out.results[0].delivered(0));
  EXPECT_FALSE(out.connection_failure);
}

TEST(SmtpClientSession, FailedHeloIsAConnectionFailure) {
  const auto out = run({greeting, "500 no\r\n", "550 go away\r\n", bye}, {});
  ASSERT_TRUE(out.connection_failure);
  EXPECT_TRUE(out.connection_failure->is_permanent());
  EXPECT_EQ(out.connection_failure->reason,
            "host mx.example[127.0.0.1] said: 550 go away (in reply to HELO command)");
  EXPECT_TRUE(out.wire.ends_with("QUIT\r\n"));
}

TEST(SmtpClientSession, ReusesTheConnectionForTwoMessagesWithoutRset) {
  const auto first = message_to({"a@dest.example"});
  const auto second = message_to({"b@dest.example"});
  const auto out = run({greeting, ehlo_plain, mail_ok, rcpt_ok, data_go, queued, mail_ok, rcpt_ok,
                        data_go, queued, bye},
                       {&first, &second});
  ASSERT_EQ(out.results.size(), 2u);
  EXPECT_TRUE(out.results[0].delivered(0));
  EXPECT_TRUE(out.results[1].delivered(0));
  EXPECT_EQ(out.wire.find("RSET"), std::string::npos);
  EXPECT_NE(out.wire.find("RCPT TO:<b@dest.example>"), std::string::npos);
  // The transcript keeps the greeting and EHLO, then only the latest message.
  EXPECT_NE(out.transcript.find("S: 220 mx.example ESMTP"), std::string::npos);
  EXPECT_EQ(out.transcript.find("a@dest.example"), std::string::npos);
  EXPECT_NE(out.transcript.find("C: RCPT TO:<b@dest.example>"), std::string::npos);
}

TEST(SmtpClientSession, TranscriptRecordsCommandsAndRepliesButNoContent) {
  const auto message = message_to({"a@dest.example"});
  const auto out = run({greeting, ehlo_plain, mail_ok, rcpt_ok, data_go, queued, bye}, {&message});
  EXPECT_EQ(out.transcript,
            "S: 220 mx.example ESMTP\nC: EHLO relay.example\nS: 250-mx.example\nS: 250 8BITMIME\n"
            "C: MAIL FROM:<sender@relay.example>\nS: 250 2.1.0 Ok\nC: RCPT TO:<a@dest.example>\n"
            "S: 250 2.1.5 Ok\nC: DATA\nS: 354 End data with <CR><LF>.<CR><LF>\n"
            "C: <message body: " +
                std::to_string(body.size()) +
                " bytes>\nC: .\nS: 250 2.0.0 Ok: queued as ABC\nC: QUIT\nS: 221 2.0.0 Bye\n");
}

const std::string unknown_user = "550 5.1.1 <b@dest.example>: Recipient address rejected\r\n";

TEST(SmtpClientSession, RejectedRecipientDoesNotStopTheOthers) {
  const auto message = message_to({"a@dest.example", "b@dest.example", "c@dest.example"});
  for (bool pipelining : {false, true}) {
    SCOPED_TRACE(pipelining);
    const auto out = run({greeting, pipelining ? ehlo_pipelining : ehlo_plain, mail_ok, rcpt_ok,
                          unknown_user, rcpt_ok, data_go, queued, bye},
                         {&message});
    ASSERT_EQ(out.results.size(), 1u);
    const auto& result = out.results[0];
    EXPECT_EQ(result.scope, FailureScope::recipient);
    EXPECT_FALSE(result.failure);
    EXPECT_TRUE(result.delivered(0));
    EXPECT_FALSE(result.delivered(1));
    EXPECT_TRUE(result.delivered(2));
    ASSERT_TRUE(result.recipients[1].rejection);
    const auto& rejection = *result.recipients[1].rejection;
    EXPECT_TRUE(rejection.is_permanent());
    EXPECT_EQ(rejection.reply_code, 550);
    EXPECT_EQ(rejection.status, (core::EnhancedStatus{5, 1, 1}));
    EXPECT_EQ(rejection.reason,
              "host mx.example[127.0.0.1] said: 550 5.1.1 <b@dest.example>: Recipient address "
              "rejected (in reply to RCPT TO command)");
    EXPECT_NE(out.wire.find(stuffed_body), std::string::npos);
  }
}

TEST(SmtpClientSession, AllRecipientsRejectedSendsNoContent) {
  const auto message = message_to({"a@dest.example", "b@dest.example"});
  const auto next = message_to({"c@dest.example"});
  const std::string rejected = "550 5.1.1 no such user\r\n";
  // Without pipelining no DATA is sent; the open transaction is reset before the next message.
  auto out = run({greeting, ehlo_plain, mail_ok, rejected, rejected, "250 2.0.0 Ok\r\n", mail_ok,
                  rcpt_ok, data_go, queued, bye},
                 {&message, &next});
  ASSERT_EQ(out.results.size(), 2u);
  EXPECT_EQ(out.results[0].scope, FailureScope::recipient);
  EXPECT_FALSE(out.results[0].delivered(0) || out.results[0].delivered(1));
  EXPECT_EQ(out.wire.find("DATA\r\nSubject"), out.wire.rfind("DATA\r\nSubject"));
  EXPECT_NE(out.wire.find("RCPT TO:<b@dest.example>\r\nRSET\r\nMAIL FROM"), std::string::npos);
  EXPECT_TRUE(out.results[1].delivered(0));

  // With pipelining DATA was sent already: its refusal is expected and no content follows.
  out = run({greeting, ehlo_pipelining,
             mail_ok + rejected + rejected + "554 5.5.1 Error: no valid recipients\r\n", bye},
            {&message});
  ASSERT_EQ(out.results.size(), 1u);
  EXPECT_EQ(out.results[0].scope, FailureScope::recipient);
  EXPECT_FALSE(out.results[0].failure);
  EXPECT_EQ(out.wire.find("Subject"), std::string::npos);
}

TEST(SmtpClientSession, SendsOnlyTheEndOfDataWhenAServerWantsDataForNoRecipient) {
  const auto message = message_to({"a@dest.example"});
  const auto out = run({greeting, ehlo_pipelining, mail_ok + "550 5.1.1 no\r\n" + data_go,
                        "554 5.5.1 no valid recipients\r\n", bye},
                       {&message});
  ASSERT_EQ(out.results.size(), 1u);
  EXPECT_FALSE(out.results[0].delivered(0));
  EXPECT_EQ(out.wire.find("Subject"), std::string::npos);
  EXPECT_NE(out.wire.find("DATA\r\n.\r\nQUIT\r\n"), std::string::npos);
}

TEST(SmtpClientSession, GreetingFailures) {
  auto out = run({"421 4.7.0 mx.example too busy\r\n"}, {});
  ASSERT_TRUE(out.connection_failure);
  EXPECT_FALSE(out.connection_failure->is_permanent());
  EXPECT_EQ(out.connection_failure->str(),
            "421 4.7.0 host mx.example[127.0.0.1] said: 421 4.7.0 mx.example too busy (in the "
            "initial greeting)");
  EXPECT_EQ(out.wire, "");  // 421: the server is closing, nothing more is said
  EXPECT_TRUE(out.closed);

  out = run({"554 no SMTP service here\r\n", bye}, {});
  ASSERT_TRUE(out.connection_failure);
  EXPECT_TRUE(out.connection_failure->is_permanent());
  EXPECT_EQ(out.connection_failure->status, (core::EnhancedStatus{5, 0, 0}));
  EXPECT_EQ(out.wire, "QUIT\r\n");
}

TEST(SmtpClientSession, MailRefusedFailsTheMessageOnly) {
  const auto message = message_to({"a@dest.example"});
  const auto next = message_to({"b@dest.example"});
  const auto out = run({greeting, ehlo_plain, "452 4.3.1 Insufficient system storage\r\n", mail_ok,
                        rcpt_ok, data_go, queued, bye},
                       {&message, &next});
  ASSERT_EQ(out.results.size(), 2u);
  const auto& result = out.results[0];
  EXPECT_EQ(result.scope, FailureScope::message);
  ASSERT_TRUE(result.failure);
  EXPECT_FALSE(result.failure->is_permanent());
  EXPECT_EQ(result.failure->status, (core::EnhancedStatus{4, 3, 1}));
  EXPECT_EQ(result.failure->reason,
            "host mx.example[127.0.0.1] said: 452 4.3.1 Insufficient system storage (in reply to "
            "MAIL FROM command)");
  EXPECT_FALSE(result.delivered(0));
  EXPECT_EQ(out.wire.find("RCPT TO:<a@dest.example>"), std::string::npos);
  EXPECT_EQ(out.wire.find("RSET"), std::string::npos);
  EXPECT_TRUE(out.results[1].delivered(0));
}

TEST(SmtpClientSession, RefusalAfterTheFinalDotFailsTheMessage) {
  const auto message = message_to({"a@dest.example", "b@dest.example"});
  const auto next = message_to({"c@dest.example"});
  const auto out = run({greeting, ehlo_plain, mail_ok, rcpt_ok, rcpt_ok, data_go,
                        "554 5.7.1 spam\r\n", mail_ok, rcpt_ok, data_go, queued, bye},
                       {&message, &next});
  ASSERT_EQ(out.results.size(), 2u);
  const auto& result = out.results[0];
  EXPECT_EQ(result.scope, FailureScope::message);
  ASSERT_TRUE(result.failure);
  EXPECT_TRUE(result.failure->is_permanent());
  EXPECT_EQ(result.failure->reason,
            "host mx.example[127.0.0.1] said: 554 5.7.1 spam (in reply to end of DATA command)");
  EXPECT_FALSE(result.delivered(0));
  EXPECT_FALSE(result.delivered(1));
  EXPECT_EQ(out.wire.find("RSET"), std::string::npos);
  EXPECT_TRUE(out.results[1].delivered(0));
}

TEST(SmtpClientSession, DataRefusedFailsTheMessageAndResetsBeforeTheNext) {
  const auto message = message_to({"a@dest.example"});
  const auto out = run({greeting, ehlo_plain, mail_ok, rcpt_ok, "451 4.3.0 try later\r\n",
                        "250 2.0.0 Ok\r\n", mail_ok, rcpt_ok, data_go, queued, bye},
                       {&message, &message});
  ASSERT_EQ(out.results.size(), 2u);
  EXPECT_EQ(out.results[0].scope, FailureScope::message);
  EXPECT_FALSE(out.results[0].failure->is_permanent());
  EXPECT_NE(out.wire.find("DATA\r\nRSET\r\nMAIL"), std::string::npos);
  EXPECT_TRUE(out.results[1].delivered(0));
}

TEST(SmtpClientSession, ServiceClosingInATransactionIsASiteFailure) {
  const auto message = message_to({"a@dest.example", "b@dest.example"});
  const auto out = run({greeting, ehlo_plain, mail_ok, rcpt_ok,
                        "421 4.7.0 too many messages, closing connection\r\n"},
                       {&message});
  ASSERT_EQ(out.results.size(), 1u);
  EXPECT_EQ(out.results[0].scope, FailureScope::destination);
  ASSERT_TRUE(out.results[0].failure);
  EXPECT_FALSE(out.results[0].failure->is_permanent());
  EXPECT_FALSE(out.results[0].delivered(0));
  EXPECT_FALSE(out.wire.ends_with("QUIT\r\n"));
  EXPECT_TRUE(out.closed);
}

TEST(SmtpClientSession, MissingEnhancedStatusDefaultsFromTheReplyClass) {
  const auto message = message_to({"a@dest.example", "b@dest.example"});
  const auto out = run(
      {greeting, ehlo_plain, mail_ok, "550 no such user\r\n", "450 mailbox busy\r\n"}, {&message});
  ASSERT_EQ(out.results.size(), 1u);
  const auto& first = out.results[0].recipients[0].rejection;
  const auto& second = out.results[0].recipients[1].rejection;
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->status, (core::EnhancedStatus{5, 0, 0}));
  EXPECT_TRUE(first->is_permanent());
  EXPECT_EQ(second->status, (core::EnhancedStatus{4, 0, 0}));
  EXPECT_FALSE(second->is_permanent());
}

TEST(SmtpClientSession, TooManyRecipients552IsTemporary) {
  const auto message = message_to({"a@dest.example", "b@dest.example"});
  const auto out = run({greeting, ehlo_plain, mail_ok, rcpt_ok,
                        "552 5.5.3 Error: too many recipients\r\n", data_go, queued, bye},
                       {&message});
  ASSERT_EQ(out.results.size(), 1u);
  EXPECT_TRUE(out.results[0].delivered(0));
  const auto& rejection = out.results[0].recipients[1].rejection;
  ASSERT_TRUE(rejection);
  EXPECT_FALSE(rejection->is_permanent());
  EXPECT_EQ(rejection->reply_code, 452);
  EXPECT_EQ(rejection->status, (core::EnhancedStatus{4, 5, 3}));
}

TEST(SmtpClientSession, MessageOverTheAdvertisedSizeIsNotSent) {
  const std::string big(2000, 'x');
  const auto message = message_to({"a@dest.example"}, &big);
  const auto out = run({greeting, ehlo_pipelining, bye}, {&message});
  ASSERT_EQ(out.results.size(), 1u);
  const auto& result = out.results[0];
  EXPECT_EQ(result.scope, FailureScope::message);
  ASSERT_TRUE(result.failure);
  EXPECT_EQ(result.failure->str(),
            "552 5.3.4 message size 2000 exceeds size limit 1000 of host mx.example[127.0.0.1]");
  EXPECT_EQ(out.wire, "EHLO relay.example\r\nQUIT\r\n");
}

TEST(SmtpClientSession, EnvelopeWithLineBreaksIsNeverSent) {
  const auto message = message_to({"a@dest.example>\r\nRCPT TO:<victim@x.example"});
  const auto out = run({greeting, ehlo_plain, bye}, {&message});
  ASSERT_EQ(out.results.size(), 1u);
  ASSERT_TRUE(out.results[0].failure);
  EXPECT_TRUE(out.results[0].failure->is_permanent());
  EXPECT_EQ(out.wire, "EHLO relay.example\r\nQUIT\r\n");
}

TEST(SmtpClientSession, MalformedReplyEndsTheAttemptAsATemporaryFailure) {
  const auto message = message_to({"a@dest.example"});
  for (const std::string& garbage : {std::string("250 ok\n"), std::string("HTTP/1.0 200 OK\r\n"),
                                     std::string("250ok\r\n"), "250 " + std::string(100000, 'x')}) {
    const auto out = run({greeting, ehlo_plain, mail_ok, garbage}, {&message});
    ASSERT_EQ(out.results.size(), 1u);
    ASSERT_TRUE(out.results[0].failure);
    EXPECT_FALSE(out.results[0].failure->is_permanent());
    EXPECT_EQ(out.results[0].failure->status, (core::EnhancedStatus{4, 5, 0}));
    EXPECT_EQ(out.results[0].scope, FailureScope::connection);
    EXPECT_FALSE(out.results[0].delivered(0));
    EXPECT_TRUE(out.closed);
    EXPECT_NE(out.transcript.find("S: <malformed reply:"), std::string::npos);
  }
}

TEST(SmtpClientSession, UnexpectedReplyClassEndsTheAttempt) {
  const auto message = message_to({"a@dest.example"});
  const auto out = run({greeting, ehlo_plain, mail_ok, rcpt_ok, "250 2.0.0 Ok\r\n"}, {&message});
  ASSERT_EQ(out.results.size(), 1u);
  ASSERT_TRUE(out.results[0].failure);
  EXPECT_EQ(out.results[0].scope, FailureScope::connection);
  EXPECT_EQ(out.wire.find("Subject"), std::string::npos);
}

TEST(SmtpClientSession, IdleConnectionClosedByTheServerEndsQuietly) {
  SmtpClientSession session(context);
  session.next();
  session.on_input(greeting);
  session.next();
  session.next();
  session.on_input(ehlo_plain);
  ASSERT_EQ(session.next().kind, Kind::ready);
  session.on_eof();
  EXPECT_FALSE(session.ready());
  EXPECT_EQ(session.next().kind, Kind::closed);
  EXPECT_FALSE(session.connection_failure());
}

struct HappyScript {
  const char* name;
  std::vector<std::string> replies;
};

const OutboundMessage two_recipients = message_to({"a@dest.example", "b@dest.example"});

std::vector<HappyScript> happy_scripts() {
  return {
      {"plain", {greeting, ehlo_plain, mail_ok, rcpt_ok, rcpt_ok, data_go, queued, bye}},
      {"pipelining",
       {greeting, ehlo_pipelining, mail_ok + rcpt_ok + rcpt_ok + data_go, queued, bye}},
      {"bdat", {greeting, ehlo_chunking, mail_ok, rcpt_ok, rcpt_ok, bdat_ok, bye}},
      {"bdat pipelining",
       {greeting, ehlo_chunking_pipelining, mail_ok + rcpt_ok + rcpt_ok + bdat_ok, bye}},
  };
}

TEST(SmtpClientSession, FaultAtEveryStepIsACleanTemporaryFailure) {
  for (const auto& script : happy_scripts()) {
    const auto happy = run(script.replies, {&two_recipients});
    ASSERT_EQ(happy.results.size(), 1u);
    ASSERT_TRUE(happy.results[0].delivered(0));
    const std::size_t final_reply_step = happy.io_steps - 2;  // then QUIT is sent and answered
    for (Fault fault : {Fault::eof, Fault::timeout}) {
      for (std::size_t step = 0; step < happy.io_steps; ++step) {
        SCOPED_TRACE(std::string(script.name) + (fault == Fault::eof ? " eof" : " timeout") +
                     " at step " + std::to_string(step));
        const auto out =
            run(script.replies, {&two_recipients}, Feed::per_reply, Injection{step, fault});
        EXPECT_TRUE(out.closed);
        EXPECT_FALSE(out.starved);
        if (step >= final_reply_step) {  // the message was delivered before the fault
          ASSERT_EQ(out.results.size(), 1u);
          EXPECT_TRUE(out.results[0].delivered(0));
          EXPECT_FALSE(out.connection_failure);
          continue;
        }
        const core::Failure* failure = nullptr;
        if (out.results.empty()) {
          ASSERT_TRUE(out.connection_failure);
          failure = &*out.connection_failure;
        } else {
          ASSERT_EQ(out.results.size(), 1u);
          EXPECT_EQ(out.results[0].scope, FailureScope::connection);
          EXPECT_FALSE(out.results[0].delivered(0));
          EXPECT_FALSE(out.results[0].delivered(1));
          ASSERT_TRUE(out.results[0].failure);
          failure = &*out.results[0].failure;
        }
        EXPECT_FALSE(failure->is_permanent());
        EXPECT_EQ(failure->status, (core::EnhancedStatus{4, 4, 2}));
        EXPECT_NE(failure->reason.find(fault == Fault::eof ? "lost connection" : "timed out"),
                  std::string::npos)
            << failure->reason;
      }
    }
  }
}

std::vector<HappyScript> all_scripts() {
  auto scripts = happy_scripts();
  scripts.push_back({"rejected recipient",
                     {greeting, ehlo_plain, mail_ok, rcpt_ok, unknown_user, data_go, queued, bye}});
  scripts.push_back({"mail refused", {greeting, ehlo_plain, "452 4.3.1 full\r\n", bye}});
  scripts.push_back({"greeting refused", {"554 go away\r\n", bye}});
  scripts.push_back(
      {"helo fallback",
       {greeting, "500 what\r\n", "250 ok\r\n", mail_ok, rcpt_ok, rcpt_ok, data_go, queued, bye}});
  scripts.push_back({"garbage", {greeting, ehlo_plain, "2\r\n"}});
  return scripts;
}

// (Replies sent ahead of their commands, all in one chunk, are a protocol error: see
// smtp_client_reply_accounting_test.cpp.)
TEST(SmtpClientSession, FeedingByteByByteGivesTheSameResult) {
  for (const auto& script : all_scripts()) {
    SCOPED_TRACE(script.name);
    const auto reference = run(script.replies, {&two_recipients}, Feed::per_reply);
    for (Feed feed : {Feed::byte_by_byte}) {
      const auto out = run(script.replies, {&two_recipients}, feed);
      EXPECT_EQ(out.wire, reference.wire);
      EXPECT_EQ(out.transcript, reference.transcript);
      ASSERT_EQ(out.results.size(), reference.results.size());
      for (std::size_t i = 0; i < out.results.size(); ++i)
        EXPECT_EQ(summary(out.results[i]), summary(reference.results[i]));
      EXPECT_EQ(out.connection_failure.has_value(), reference.connection_failure.has_value());
      EXPECT_FALSE(out.starved);
    }
  }
}

// ---- CHUNKING / BDAT (RFC 3030) ----

const std::string bdat_command = "BDAT " + std::to_string(body.size()) + " LAST\r\n";

TEST(SmtpClientSession, SendsTheContentAsOneBdatChunkWithoutDotStuffing) {
  const auto message = message_to({"a@dest.example"});
  const auto out = run({greeting, ehlo_chunking, mail_ok, rcpt_ok, bdat_ok, bye}, {&message});
  EXPECT_EQ(out.wire,
            "EHLO relay.example\r\nMAIL FROM:<sender@relay.example>\r\n"
            "RCPT TO:<a@dest.example>\r\n" +
                bdat_command + body + "QUIT\r\n");
  EXPECT_EQ(out.send_waits,
            (std::vector<Wait>{Wait::ehlo, Wait::mail, Wait::rcpt, Wait::data_block, Wait::quit}));
  EXPECT_EQ(out.input_waits, (std::vector<Wait>{Wait::greeting, Wait::ehlo, Wait::mail, Wait::rcpt,
                                                Wait::final_dot, Wait::quit}));
  ASSERT_EQ(out.results.size(), 1u);
  EXPECT_EQ(out.results[0].scope, FailureScope::none);
  EXPECT_TRUE(out.results[0].delivered(0));
  EXPECT_EQ(out.results[0].final_reply.str(), "250 2.0.0 Ok: queued as BDAT1");
  EXPECT_NE(out.transcript.find("C: " + bdat_command.substr(0, bdat_command.size() - 2)),
            std::string::npos)
      << out.transcript;
  EXPECT_NE(out.transcript.find("<message body: " + std::to_string(body.size()) + " bytes>"),
            std::string::npos);
  EXPECT_EQ(out.transcript.find("leading dot"), std::string::npos);
}

TEST(SmtpClientSession, PipelinesMailRcptAndTheBdatChunkInOneSend) {
  const auto message = message_to({"a@dest.example", "b@dest.example"});
  SmtpClientSession session(context);
  ASSERT_EQ(session.next().kind, Kind::need_input);
  session.on_input(greeting);
  ASSERT_EQ(session.next().kind, Kind::send);
  ASSERT_EQ(session.next().kind, Kind::need_input);
  session.on_input(ehlo_chunking_pipelining);
  ASSERT_EQ(session.next().kind, Kind::ready);
  session.start_message(message);
  const auto batch = session.next();
  ASSERT_EQ(batch.kind, Kind::send);
  EXPECT_EQ(batch.bytes,
            "MAIL FROM:<sender@relay.example>\r\nRCPT TO:<a@dest.example>\r\n"
            "RCPT TO:<b@dest.example>\r\n" +
                bdat_command + body);
  EXPECT_EQ(batch.wait, Wait::data_block);
  EXPECT_EQ(session.next().wait, Wait::mail);
  session.on_input(mail_ok + rcpt_ok + rcpt_ok + bdat_ok);
  ASSERT_EQ(session.next().kind, Kind::message_done);
  const auto result = session.take_result();
  EXPECT_TRUE(result.delivered(0));
  EXPECT_TRUE(result.delivered(1));
  EXPECT_TRUE(session.ready());
}

TEST(SmtpClientSession, UsesDataWhenBdatIsSwitchedOff) {
  const auto message = message_to({"a@dest.example"});
  ClientSessionContext no_bdat = context;
  no_bdat.use_bdat = false;
  const auto out = run({greeting, ehlo_chunking, mail_ok, rcpt_ok, data_go, queued, bye},
                       {&message}, Feed::per_reply, std::nullopt, no_bdat);
  EXPECT_NE(out.wire.find("DATA\r\n" + stuffed_body), std::string::npos) << out.wire;
  EXPECT_EQ(out.wire.find("BDAT"), std::string::npos);
  ASSERT_EQ(out.results.size(), 1u);
  EXPECT_TRUE(out.results[0].delivered(0));
}

TEST(SmtpClientSession, BdatReplyAppliesToEveryRecipient) {
  struct Case {
    const char* name;
    std::string reply;
    bool permanent;
    core::EnhancedStatus status;
  };
  for (const auto& c : std::vector<Case>{
           {"5xx", "554 5.6.0 content rejected\r\n", true, {5, 6, 0}},
           {"4xx", "451 4.3.0 try later\r\n", false, {4, 3, 0}},
       }) {
    SCOPED_TRACE(c.name);
    const auto first = message_to({"a@dest.example", "b@dest.example"});
    const auto second = message_to({"c@dest.example"});
    const auto out = run({greeting, ehlo_chunking_pipelining, mail_ok + rcpt_ok + rcpt_ok + c.reply,
                          "250 2.0.0 reset\r\n" + mail_ok + rcpt_ok + bdat_ok, bye},
                         {&first, &second});
    ASSERT_EQ(out.results.size(), 2u);
    const auto& failed = out.results[0];
    EXPECT_EQ(failed.scope, FailureScope::message);
    ASSERT_TRUE(failed.failure);
    EXPECT_EQ(failed.failure->is_permanent(), c.permanent);
    EXPECT_EQ(failed.failure->status, c.status);
    EXPECT_NE(failed.failure->reason.find("reply to BDAT LAST command"), std::string::npos)
        << failed.failure->reason;
    EXPECT_FALSE(failed.delivered(0));
    EXPECT_FALSE(failed.delivered(1));
    // RFC 3030 2: the failed transaction is reset before the next message.
    EXPECT_NE(out.wire.find(body + "RSET\r\nMAIL FROM:"), std::string::npos) << out.wire;
    EXPECT_TRUE(out.results[1].delivered(0));
  }
}

TEST(SmtpClientSession, ChunkSentForRejectedRecipientsOnlyDeliversNothing) {
  const auto message = message_to({"a@dest.example", "b@dest.example"});
  const std::string no_such_user = "550 5.1.1 no such user\r\n";
  const auto out =
      run({greeting, ehlo_chunking_pipelining,
           mail_ok + no_such_user + no_such_user + "554 5.5.1 no valid recipients\r\n", bye},
          {&message});
  ASSERT_EQ(out.results.size(), 1u);
  const auto& result = out.results[0];
  EXPECT_FALSE(result.failure);
  EXPECT_EQ(result.scope, FailureScope::recipient);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_FALSE(result.delivered(i));
    ASSERT_TRUE(result.recipients[i].rejection);
    EXPECT_EQ(result.recipients[i].rejection->status, (core::EnhancedStatus{5, 1, 1}));
  }
}

TEST(SmtpClientSession, BdatWithoutPipeliningIsNotSentWhenNoRecipientIsAccepted) {
  const auto message = message_to({"a@dest.example"});
  const auto out =
      run({greeting, ehlo_chunking, mail_ok, "550 5.1.1 no such user\r\n", bye}, {&message});
  EXPECT_EQ(out.wire.find("BDAT"), std::string::npos) << out.wire;
  ASSERT_EQ(out.results.size(), 1u);
  EXPECT_FALSE(out.results[0].delivered(0));
  EXPECT_EQ(out.results[0].scope, FailureScope::recipient);
}

}  // namespace
}  // namespace mxrelay::mta
