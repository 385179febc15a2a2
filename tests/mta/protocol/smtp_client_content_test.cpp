// Tests for what the client session adds per message: DSN parameters when the server offers
// DSN, BODY=8BITMIME or the 7-bit conversion, and the SMTPUTF8 requirement.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "mta/protocol/smtp_client_session.hpp"

namespace mxrelay::mta {
namespace {

using Kind = SmtpClientSession::Step::Kind;

const std::string greeting = "220 mx.example ESMTP\r\n";

OutboundMessage make_message(std::vector<std::string> recipients, const std::string* data) {
  OutboundMessage message;
  message.sender = "s@relay.example";
  message.recipients = std::move(recipients);
  message.data = data;
  return message;
}

// Runs greeting and EHLO with the given keywords, starts the message and returns the first
// transaction bytes sent (MAIL ... DATA with pipelining), or the result when none were.
struct Start {
  std::string sent;
  std::optional<MessageResult> result;
};

Start start(const std::string& keywords, const OutboundMessage& message) {
  SmtpClientSession session({"relay.example", "mx.example[127.0.0.1]"});
  session.next();
  session.on_input(greeting);
  session.next();
  session.next();
  session.on_input("250-mx.example\r\n250-PIPELINING\r\n" + keywords);
  EXPECT_EQ(session.next().kind, Kind::ready);
  session.start_message(message);
  const auto step = session.next();
  if (step.kind == Kind::message_done) return {"", session.take_result()};
  return {std::string(step.bytes), std::nullopt};
}

const std::string ascii_body = "Subject: hi\r\n\r\nhello\r\n";
const std::string eight_bit_body =
    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n\r\nGr\xc3\xbc\xc3\x9f\x65\r\n";

TEST(SmtpClientContent, PassesDsnParametersWhenOffered) {
  auto message = make_message({"a@dest.example", "b@dest.example"}, &ascii_body);
  message.dsn = {queue::DsnRet::headers, "id 42+x"};
  message.recipient_dsn.resize(2);
  message.recipient_dsn[0].notify = queue::DsnNotify{false, true, true, false};
  message.recipient_dsn[0].orcpt = queue::OriginalRecipient{"rfc822", "a=b@dest.example"};
  message.recipient_dsn[1].notify = queue::DsnNotify{true, false, false, false};

  const auto with_dsn = start("250 DSN\r\n", message);
  EXPECT_EQ(with_dsn.sent,
            "MAIL FROM:<s@relay.example> RET=HDRS ENVID=id+2042+2Bx\r\n"
            "RCPT TO:<a@dest.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+3Db@dest.example\r\n"
            "RCPT TO:<b@dest.example> NOTIFY=NEVER\r\nDATA\r\n");

  const auto without_dsn = start("250 8BITMIME\r\n", message);
  EXPECT_EQ(without_dsn.sent,
            "MAIL FROM:<s@relay.example>\r\nRCPT TO:<a@dest.example>\r\n"
            "RCPT TO:<b@dest.example>\r\nDATA\r\n");
}

TEST(SmtpClientContent, EightBitContentUsesBody8BitMimeWhenOffered) {
  const auto message = make_message({"a@dest.example"}, &eight_bit_body);
  const auto out = start("250-8BITMIME\r\n250 SIZE 0\r\n", message);
  EXPECT_TRUE(out.sent.starts_with("MAIL FROM:<s@relay.example> SIZE=" +
                                   std::to_string(eight_bit_body.size()) + " BODY=8BITMIME\r\n"));
}

TEST(SmtpClientContent, EightBitContentIsConvertedForA7BitServer) {
  const auto message = make_message({"a@dest.example"}, &eight_bit_body);
  SmtpClientSession session({"relay.example", "mx.example[127.0.0.1]"});
  session.next();
  session.on_input(greeting);
  session.next();
  session.next();
  session.on_input("250-mx.example\r\n250 PIPELINING\r\n");
  ASSERT_EQ(session.next().kind, Kind::ready);
  session.start_message(message);
  const auto commands = session.next();
  EXPECT_EQ(commands.bytes.find("BODY="), std::string_view::npos);
  session.next();
  session.on_input("250 ok\r\n250 ok\r\n354 go\r\n");
  const auto content = session.next();
  ASSERT_EQ(content.kind, Kind::send);
  EXPECT_EQ(content.bytes,
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=C3=9Fe\r\n.\r\n");
}

TEST(SmtpClientContent, UnconvertibleEightBitContentFailsWith563) {
  const std::string not_mime = "Subject: x\r\n\r\n\xff\r\n";
  const auto message = make_message({"a@dest.example"}, &not_mime);
  const auto out = start("250 SIZE\r\n", message);
  ASSERT_TRUE(out.result);
  ASSERT_TRUE(out.result->failure);
  EXPECT_EQ(out.result->failure->status.str(), "5.6.3");
  EXPECT_EQ(out.result->scope, FailureScope::message);
}

TEST(SmtpClientContent, Smtputf8MessageNeedsSmtputf8) {
  auto flagged = make_message({"a@dest.example"}, &ascii_body);
  flagged.smtputf8 = true;
  const auto utf8_address = make_message({"j\xc3\xb6rg@dest.example"}, &ascii_body);
  const std::vector<const OutboundMessage*> messages = {&flagged, &utf8_address};
  for (const auto* message : messages) {
    const auto refused = start("250 8BITMIME\r\n", *message);
    ASSERT_TRUE(refused.result);
    ASSERT_TRUE(refused.result->failure);
    EXPECT_EQ(refused.result->failure->str().substr(0, 9), "550 5.6.7");
    EXPECT_EQ(refused.result->scope, FailureScope::message);
    const auto sent = start("250-8BITMIME\r\n250 SMTPUTF8\r\n", *message);
    EXPECT_TRUE(sent.sent.starts_with("MAIL FROM:<s@relay.example> SMTPUTF8\r\n"));
  }
}

}  // namespace
}  // namespace mxrelay::mta
