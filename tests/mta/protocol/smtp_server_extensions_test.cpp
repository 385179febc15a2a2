// tests: SmtpServerSession with the ESMTP extensions of issue 6: CHUNKING/BDAT (RFC 3030),
// DSN parameters (RFC 3461), STARTTLS (RFC 3207, including the CVE-2011-0411 plaintext
// injection) and AUTH PLAIN/LOGIN (RFC 4954), as scripted dialogues.
#include <gtest/gtest.h>

#include <string>

#include "mta/protocol/base64.hpp"
#include "mta/protocol/smtp_server_session.hpp"
#include "smtp_server_dialogue.hpp"

namespace mxrelay::mta {
namespace {

using testing::crlf_lines;
using testing::Dialogue;
using testing::kEhloReply;
using testing::test_context;

const std::string kTransaction =
    crlf_lines({"EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<b@remote.test>"});
const std::string kTransactionReplies = kEhloReply + crlf_lines({"250 2.1.0 Ok", "250 2.1.5 Ok"});

std::string bdat(std::string_view content, bool last = false) {
  return "BDAT " + std::to_string(content.size()) + (last ? " LAST" : "") + "\r\n" +
         std::string(content);
}

// ---- CHUNKING / BDAT ----

TEST(SmtpServerBdat, SingleLastChunkIsStoredExactlyWithoutUnstuffing) {
  Dialogue dialogue;
  dialogue.feed(kTransaction + bdat("Subject: x\r\n\r\n.dot\r\n..two\r\n", true) + "QUIT\r\n");
  EXPECT_EQ(dialogue.output(),
            kTransactionReplies + crlf_lines({"250 2.0.0 Ok: queued as Q1", "221 2.0.0 Bye"}));
  ASSERT_EQ(dialogue.stored().size(), 1u);
  EXPECT_EQ(dialogue.stored()[0].data, "Subject: x\r\n\r\n.dot\r\n..two\r\n");
}

class SmtpServerBdatSplits : public ::testing::TestWithParam<std::size_t> {};

// Pipelined chunks that split a line and a CRLF pair, delivered in pieces of every size.
TEST_P(SmtpServerBdatSplits, PipelinedChunksAreJoinedExactly) {
  const std::string content = "Subject: chunks\r\n\r\nfirst line\r\nsecond line\r\n";
  const std::string input = kTransaction + bdat(content.substr(0, 10)) +
                            bdat(content.substr(10, 6)) + bdat(content.substr(16), true) +
                            crlf_lines({"MAIL FROM:<c@client.test>", "QUIT"});
  Dialogue dialogue;
  dialogue.feed_in_chunks(input, GetParam());
  EXPECT_EQ(dialogue.output(),
            kTransactionReplies +
                crlf_lines({"250 2.0.0 Ok: 10 octets received", "250 2.0.0 Ok: 6 octets received",
                            "250 2.0.0 Ok: queued as Q1", "250 2.1.0 Ok", "221 2.0.0 Bye"}));
  ASSERT_EQ(dialogue.stored().size(), 1u);
  EXPECT_EQ(dialogue.stored()[0].data, content);
}

INSTANTIATE_TEST_SUITE_P(PieceSizes, SmtpServerBdatSplits, ::testing::Values(1, 2, 3, 7, 4096));

TEST(SmtpServerBdat, CommandsInsideAChunkAreContent) {
  Dialogue dialogue;
  const std::string content = crlf_lines({".", "MAIL FROM:<evil@x.test>", "RCPT TO:<v@y.test>"});
  dialogue.feed(kTransaction + bdat(content, true));
  ASSERT_EQ(dialogue.stored().size(), 1u);
  EXPECT_EQ(dialogue.stored()[0].data, content);
  EXPECT_EQ(dialogue.stored()[0].recipients, std::vector<std::string>{"b@remote.test"});
}

TEST(SmtpServerBdat, FinalLineWithoutCrlfIsTerminated) {
  Dialogue dialogue;
  dialogue.feed(kTransaction + bdat("hello", true));
  ASSERT_EQ(dialogue.stored().size(), 1u);
  EXPECT_EQ(dialogue.stored()[0].data, "hello\r\n");
}

TEST(SmtpServerBdat, EmptyLastChunkEndsTheMessage) {
  Dialogue dialogue;
  dialogue.feed(kTransaction + bdat("ab\r\n") + bdat("", true));
  ASSERT_EQ(dialogue.stored().size(), 1u);
  EXPECT_EQ(dialogue.stored()[0].data, "ab\r\n");
}

struct BdatRefusal {
  const char* name;
  std::string content;
  std::string reply;
};

class SmtpServerBdatContent : public ::testing::TestWithParam<BdatRefusal> {};

// Bad content fails the transaction; the pipelined rest of the message is read and dropped
// (its octets never become commands) and the session goes on.
TEST_P(SmtpServerBdatContent, BadContentFailsTheTransactionAndLaterChunksAreDiscarded) {
  ServerSessionContext context = test_context();
  context.limits.max_message_size = 2000;
  context.limits.max_hops = 1;
  Dialogue dialogue(context);
  dialogue.feed(kTransaction);
  dialogue.take_output();
  dialogue.feed(bdat(GetParam().content) + bdat("QUIT\r\n", true) + "NOOP\r\n");
  EXPECT_EQ(dialogue.output(),
            GetParam().reply + crlf_lines({"503 5.5.1 Error: need MAIL command", "250 2.0.0 Ok"}));
  EXPECT_TRUE(dialogue.stored().empty());
  EXPECT_FALSE(dialogue.closed());
}

INSTANTIATE_TEST_SUITE_P(
    Refusals, SmtpServerBdatContent,
    ::testing::Values(
        BdatRefusal{"BareLf", "a\nb\r\n",
                    "550 5.6.2 Message rejected: bare CR, LF or NUL not allowed\r\n"},
        BdatRefusal{"BareCr", "a\rb\r\n",
                    "550 5.6.2 Message rejected: bare CR, LF or NUL not allowed\r\n"},
        BdatRefusal{"Nul", std::string("a\0b\r\n", 5),
                    "550 5.6.2 Message rejected: bare CR, LF or NUL not allowed\r\n"},
        BdatRefusal{"SmugglingEnding", "x\r\n\n.\n",
                    "550 5.6.2 Message rejected: bare CR, LF or NUL not allowed\r\n"},
        BdatRefusal{"LongLine", std::string(1001, 'a'),
                    "552 5.3.4 Message rejected: line 1 is longer than 998 characters\r\n"},
        BdatRefusal{"LongThirdLine", "a\r\nb\r\n" + std::string(999, 'c') + "\r\n",
                    "552 5.3.4 Message rejected: line 3 is longer than 998 characters\r\n"},
        BdatRefusal{"TooBig", std::string(2001, 'a'),
                    "552 5.3.4 Message size exceeds fixed limit\r\n"},
        BdatRefusal{"Loop", "Received: a\r\nReceived: b\r\n\r\n",
                    "554 5.4.6 Too many hops: mail loop detected\r\n"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(SmtpServerBdat, OutOfOrderBdatIsRefusedAndItsChunkSkipped) {
  Dialogue dialogue;
  dialogue.feed(crlf_lines({"EHLO client.test"}) + bdat("NOOP\r\n", true) +
                "MAIL FROM:<a@client.test>\r\n" + bdat("RSET\r\n", true) + "QUIT\r\n");
  EXPECT_EQ(dialogue.output(),
            kEhloReply + crlf_lines({"503 5.5.1 Error: need MAIL command", "250 2.1.0 Ok",
                                     "503 5.5.1 Error: need RCPT command", "221 2.0.0 Bye"}));
  EXPECT_TRUE(dialogue.stored().empty());
}

TEST(SmtpServerBdat, DataAndRcptAreRefusedAfterBdat) {
  Dialogue dialogue;
  dialogue.feed(kTransaction + bdat("ab\r\n") + crlf_lines({"DATA", "RCPT TO:<c@remote.test>"}) +
                bdat("", true));
  EXPECT_EQ(dialogue.output(),
            kTransactionReplies +
                crlf_lines({"250 2.0.0 Ok: 4 octets received",
                            "503 5.5.1 Error: DATA not allowed after BDAT",
                            "503 5.5.1 Error: RCPT after BDAT", "250 2.0.0 Ok: queued as Q1"}));
  ASSERT_EQ(dialogue.stored().size(), 1u);
  EXPECT_EQ(dialogue.stored()[0].data, "ab\r\n");
}

TEST(SmtpServerBdat, MalformedSizeClosesTheSession) {
  Dialogue dialogue;
  dialogue.feed(kTransaction + "BDAT 12x LAST\r\nQUIT\r\n");
  EXPECT_EQ(dialogue.output(),
            kTransactionReplies + "501 5.5.4 Syntax: BDAT chunk-size [LAST]\r\n");
  EXPECT_TRUE(dialogue.closed());
}

TEST(SmtpServerBdat, RsetBetweenChunksDropsTheContent) {
  Dialogue dialogue;
  dialogue.feed(kTransaction + bdat("old\r\n") + "RSET\r\n" +
                crlf_lines({"MAIL FROM:<a@client.test>", "RCPT TO:<b@remote.test>"}) +
                bdat("new\r\n", true));
  ASSERT_EQ(dialogue.stored().size(), 1u);
  EXPECT_EQ(dialogue.stored()[0].data, "new\r\n");
}

// ---- DSN ----

TEST(SmtpServerDsn, ParametersAreDecodedAndKept) {
  Dialogue dialogue;
  dialogue.feed(crlf_lines({"EHLO client.test", "MAIL FROM:<a@client.test> RET=HDRS ENVID=Q+2B1",
                            "RCPT TO:<b@remote.test> NOTIFY=SUCCESS,FAILURE "
                            "ORCPT=rfc822;b+40remote.test",
                            "RCPT TO:<c@remote.test>", "RCPT TO:<d@remote.test> NOTIFY=never",
                            "DATA", "x", "."}));
  ASSERT_EQ(dialogue.stored().size(), 1u);
  const ReceivedMessage& message = dialogue.stored()[0];
  EXPECT_EQ(message.dsn, (MessageDsn{queue::DsnRet::headers, "Q+1"}));
  ASSERT_EQ(message.recipient_dsn.size(), 3u);
  EXPECT_EQ(message.recipient_dsn[0],
            (queue::RecipientDsn{queue::DsnNotify{.success = true, .failure = true},
                                 queue::OriginalRecipient{"rfc822", "b@remote.test"}}));
  EXPECT_EQ(message.recipient_dsn[1], queue::RecipientDsn{});
  EXPECT_EQ(message.recipient_dsn[2].notify, queue::DsnNotify{.never = true});
}

struct ParameterCase {
  const char* name;
  std::string command;
  std::string reply;
};

class SmtpServerDsnErrors : public ::testing::TestWithParam<ParameterCase> {};

TEST_P(SmtpServerDsnErrors, BadParameterIsRefused) {
  Dialogue dialogue;
  dialogue.feed(crlf_lines({"EHLO client.test", "MAIL FROM:<a@client.test>"}) + GetParam().command +
                "\r\n");
  EXPECT_EQ(dialogue.output(), kEhloReply + "250 2.1.0 Ok\r\n" + GetParam().reply + "\r\n");
}

INSTANTIATE_TEST_SUITE_P(
    Errors, SmtpServerDsnErrors,
    ::testing::Values(ParameterCase{"NotifyNeverWithOthers",
                                    "RCPT TO:<b@r.test> NOTIFY=NEVER,DELAY",
                                    "501 5.5.4 Bad NOTIFY value"},
                      ParameterCase{"NotifyUnknown", "RCPT TO:<b@r.test> NOTIFY=ALWAYS",
                                    "501 5.5.4 Bad NOTIFY value"},
                      ParameterCase{"NotifyRepeatedWord", "RCPT TO:<b@r.test> NOTIFY=DELAY,DELAY",
                                    "501 5.5.4 Bad NOTIFY value"},
                      ParameterCase{"NotifyTwice", "RCPT TO:<b@r.test> NOTIFY=DELAY NOTIFY=FAILURE",
                                    "501 5.5.4 Duplicate NOTIFY"},
                      ParameterCase{"OrcptWithoutType", "RCPT TO:<b@r.test> ORCPT=b@r.test",
                                    "501 5.5.4 Bad ORCPT value"},
                      ParameterCase{"OrcptCrLf",
                                    "RCPT TO:<b@r.test> ORCPT=rfc822;b+0D+0AX-Evil:+201",
                                    "501 5.5.4 CR, LF or NUL not allowed in parameters"},
                      ParameterCase{"OrcptNul", "RCPT TO:<b@r.test> ORCPT=rfc822;b+00",
                                    "501 5.5.4 CR, LF or NUL not allowed in parameters"},
                      ParameterCase{"OrcptLowerHex", "RCPT TO:<b@r.test> ORCPT=rfc822;b+2b",
                                    "501 5.5.4 Bad ORCPT value"},
                      ParameterCase{"RcptUnknown", "RCPT TO:<b@r.test> FOO=1",
                                    "555 5.5.4 Unsupported RCPT parameter"},
                      ParameterCase{"EnvidOnRset", "RSET", "250 2.0.0 Ok"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(SmtpServerDsn, MailParameterErrors) {
  Dialogue dialogue;
  dialogue.feed(crlf_lines({"EHLO client.test", "MAIL FROM:<a@c.test> RET=BODY",
                            "MAIL FROM:<a@c.test> RET=FULL RET=HDRS",
                            "MAIL FROM:<a@c.test> ENVID=a+0Db", "MAIL FROM:<a@c.test> ENVID=a+zz",
                            "MAIL FROM:<a@c.test> ENVID=" + std::string(101, 'x'),
                            "MAIL FROM:<a@c.test> AUTH=<>"}));
  EXPECT_EQ(dialogue.output(),
            kEhloReply + crlf_lines({"501 5.5.4 Bad RET value", "501 5.5.4 Duplicate RET",
                                     "501 5.5.4 CR, LF or NUL not allowed in parameters",
                                     "501 5.5.4 Bad ENVID value", "501 5.5.4 Bad ENVID value",
                                     "555 5.5.4 Unsupported MAIL parameter"}));
}

// ---- STARTTLS ----

ServerSessionContext tls_context(bool relay_allowed = true) {
  ServerSessionContext context = test_context(relay_allowed);
  context.tls_available = true;
  context.auth_available = true;
  return context;
}

const std::string kEhloBeforeTls = crlf_lines(
    {"250-mx.test", "250-PIPELINING", "250-SIZE 52428800", "250-8BITMIME",
     "250-ENHANCEDSTATUSCODES", "250-SMTPUTF8", "250-CHUNKING", "250-DSN", "250 STARTTLS"});
const std::string kEhloUnderTls =
    crlf_lines({"250-mx.test", "250-PIPELINING", "250-SIZE 52428800", "250-8BITMIME",
                "250-ENHANCEDSTATUSCODES", "250-SMTPUTF8", "250-CHUNKING", "250-DSN",
                "250-AUTH PLAIN LOGIN", "250 REQUIRETLS"});

TEST(SmtpServerStartTls, NotOfferedWithoutTlsContext) {
  Dialogue dialogue;
  dialogue.feed(crlf_lines({"EHLO client.test", "STARTTLS"}));
  EXPECT_EQ(dialogue.output(), kEhloReply + "502 5.5.1 Error: command not implemented\r\n");
  EXPECT_TRUE(dialogue.buffered_at_tls().empty());
}

// CVE-2011-0411: plaintext pipelined after STARTTLS must not be executed under TLS.
TEST(SmtpServerStartTls, DiscardsPipelinedPlaintextAndForgetsEhlo) {
  Dialogue dialogue(tls_context(false));
  dialogue.feed(crlf_lines({"EHLO client.test", "STARTTLS", "MAIL FROM:<evil@x.test>",
                            "RCPT TO:<victim@y.test>", "DATA"}));
  EXPECT_EQ(dialogue.take_output(), kEhloBeforeTls + "220 2.0.0 Ready to start TLS\r\n");
  EXPECT_EQ(dialogue.buffered_at_tls(), std::vector<std::size_t>{0});
  EXPECT_TRUE(dialogue.session().tls_active());
  dialogue.feed(crlf_lines({"MAIL FROM:<a@client.test>", "EHLO client.test", "STARTTLS"}));
  EXPECT_EQ(dialogue.output(), "503 5.5.1 Error: send HELO/EHLO first\r\n" + kEhloUnderTls +
                                   "503 5.5.1 Error: TLS already active\r\n");
  EXPECT_TRUE(dialogue.stored().empty());
}

TEST(SmtpServerStartTls, RefusedInTransactionOrWithArgument) {
  Dialogue dialogue(tls_context());
  dialogue.feed(crlf_lines(
      {"STARTTLS", "EHLO client.test", "STARTTLS now", "MAIL FROM:<a@client.test>", "STARTTLS"}));
  EXPECT_EQ(dialogue.output(),
            "503 5.5.1 Error: send HELO/EHLO first\r\n" + kEhloBeforeTls +
                crlf_lines({"501 5.5.4 Syntax: STARTTLS", "250 2.1.0 Ok",
                            "503 5.5.1 Error: STARTTLS not allowed in a mail transaction"}));
}

TEST(SmtpServerStartTls, RequireTlsRefusesMailBeforeStartTls) {
  ServerSessionContext context = tls_context();
  context.require_tls = true;
  Dialogue dialogue(context);
  dialogue.feed(crlf_lines({"EHLO client.test", "MAIL FROM:<a@client.test>", "STARTTLS"}));
  EXPECT_EQ(dialogue.take_output(),
            kEhloBeforeTls + crlf_lines({"530 5.7.0 Must issue a STARTTLS command first",
                                         "220 2.0.0 Ready to start TLS"}));
  dialogue.feed(crlf_lines({"EHLO client.test", "MAIL FROM:<a@client.test>"}));
  EXPECT_EQ(dialogue.output(), kEhloUnderTls + "250 2.1.0 Ok\r\n");
}

// ---- REQUIRETLS (RFC 8689): offered and taken only under TLS ----

TEST(SmtpServerRequireTls, TakenUnderTlsAndKeptWithTheMessage) {
  Dialogue dialogue(tls_context());
  dialogue.feed(
      crlf_lines({"EHLO client.test", "MAIL FROM:<a@client.test> REQUIRETLS", "RSET", "STARTTLS"}));
  EXPECT_EQ(dialogue.take_output(),
            kEhloBeforeTls + crlf_lines({"555 5.5.4 Unsupported MAIL parameter", "250 2.0.0 Ok",
                                         "220 2.0.0 Ready to start TLS"}));
  dialogue.feed(crlf_lines({"EHLO client.test", "MAIL FROM:<a@client.test> REQUIRETLS REQUIRETLS",
                            "MAIL FROM:<a@client.test> REQUIRETLS=YES",
                            "MAIL FROM:<a@client.test> REQUIRETLS", "RCPT TO:<b@remote.test>",
                            "DATA", "x", "."}));
  EXPECT_EQ(dialogue.take_output(),
            kEhloUnderTls +
                crlf_lines({"501 5.5.4 Duplicate REQUIRETLS", "501 5.5.4 REQUIRETLS takes no value",
                            "250 2.1.0 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>",
                            "250 2.0.0 Ok: queued as Q1"}));
  ASSERT_EQ(dialogue.stored().size(), 1u);
  EXPECT_TRUE(dialogue.stored()[0].require_tls);
  dialogue.feed(
      crlf_lines({"MAIL FROM:<a@client.test>", "RCPT TO:<b@remote.test>", "DATA", "y", "."}));
  ASSERT_EQ(dialogue.stored().size(), 2u);
  EXPECT_FALSE(dialogue.stored()[1].require_tls);
}

// ---- AUTH ----

// A session that has completed STARTTLS and EHLO, with relaying not allowed by address.
Dialogue tls_dialogue() {
  Dialogue dialogue(tls_context(false));
  dialogue.feed(crlf_lines({"EHLO client.test", "STARTTLS"}));
  dialogue.feed(crlf_lines({"EHLO client.test"}));
  dialogue.take_output();
  return dialogue;
}

std::string plain(std::string_view authzid, std::string_view user, std::string_view password) {
  std::string message(authzid);
  message.push_back('\0');
  message.append(user).push_back('\0');
  message.append(password);
  return encode_base64(message);
}

TEST(SmtpServerAuth, RefusedWithoutTls) {
  Dialogue dialogue(tls_context(false));
  dialogue.feed(crlf_lines({"EHLO client.test", "AUTH PLAIN " + plain("", "alice", "secret")}));
  EXPECT_EQ(
      dialogue.output(),
      kEhloBeforeTls + "538 5.7.11 Encryption required for requested authentication mechanism\r\n");
  EXPECT_TRUE(dialogue.checked().empty());
}

TEST(SmtpServerAuth, PlainWithInitialResponseAllowsRelaying) {
  Dialogue dialogue = tls_dialogue();
  dialogue.feed(crlf_lines({"MAIL FROM:<a@client.test>", "RCPT TO:<b@remote.test>", "RSET",
                            "AUTH PLAIN " + plain("", "alice", "s3cret:x"),
                            "MAIL FROM:<a@client.test>", "RCPT TO:<b@remote.test>"}));
  EXPECT_EQ(dialogue.output(),
            crlf_lines({"250 2.1.0 Ok", "554 5.7.1 Relay access denied", "250 2.0.0 Ok",
                        "235 2.7.0 Authentication successful", "250 2.1.0 Ok", "250 2.1.5 Ok"}));
  ASSERT_EQ(dialogue.checked().size(), 1u);
  EXPECT_EQ(dialogue.checked()[0].username, "alice");
  EXPECT_EQ(dialogue.checked()[0].password, "s3cret:x");
  EXPECT_EQ(dialogue.session().authenticated_user(), "alice");
  EXPECT_TRUE(dialogue.session().credentials().password.empty());
}

TEST(SmtpServerAuth, PlainWithChallengeAndMatchingAuthzid) {
  Dialogue dialogue = tls_dialogue();
  dialogue.feed(crlf_lines({"AUTH PLAIN"}));
  EXPECT_EQ(dialogue.take_output(), "334 \r\n");
  dialogue.feed(crlf_lines({plain("alice", "alice", "pw")}));
  EXPECT_EQ(dialogue.output(), "235 2.7.0 Authentication successful\r\n");
}

TEST(SmtpServerAuth, LoginAskesForUsernameThenPassword) {
  Dialogue dialogue = tls_dialogue();
  dialogue.feed(crlf_lines({"AUTH LOGIN"}));
  EXPECT_EQ(dialogue.take_output(), "334 VXNlcm5hbWU6\r\n");
  dialogue.feed(crlf_lines({encode_base64("bob")}));
  EXPECT_EQ(dialogue.take_output(), "334 UGFzc3dvcmQ6\r\n");
  dialogue.feed(crlf_lines({encode_base64("hunter2")}));
  EXPECT_EQ(dialogue.output(), "235 2.7.0 Authentication successful\r\n");
  ASSERT_EQ(dialogue.checked().size(), 1u);
  EXPECT_EQ(dialogue.checked()[0].username, "bob");
  EXPECT_EQ(dialogue.checked()[0].password, "hunter2");
}

TEST(SmtpServerAuth, LoginWithInitialUsername) {
  Dialogue dialogue = tls_dialogue();
  dialogue.feed(crlf_lines({"AUTH LOGIN " + encode_base64("bob"), encode_base64("pw")}));
  EXPECT_EQ(dialogue.output(),
            crlf_lines({"334 UGFzc3dvcmQ6", "235 2.7.0 Authentication successful"}));
}

TEST(SmtpServerAuth, FailuresAndRefusals) {
  Dialogue dialogue = tls_dialogue();
  dialogue.answer_checks_with(CredentialCheck::rejected);
  dialogue.feed(crlf_lines({"AUTH CRAM-MD5", "AUTH", "AUTH PLAIN", "*", "AUTH LOGIN", "not base64!",
                            "AUTH PLAIN =", "AUTH PLAIN " + plain("root", "alice", "pw"),
                            "AUTH PLAIN " + plain("", "alice", "wrong"),
                            "MAIL FROM:<a@client.test>", "AUTH PLAIN " + plain("", "a", "b")}));
  EXPECT_EQ(dialogue.output(),
            crlf_lines({"504 5.5.4 Unrecognized authentication type",
                        "501 5.5.4 Syntax: AUTH mechanism [initial-response]", "334 ",
                        "501 5.0.0 Authentication cancelled", "334 VXNlcm5hbWU6",
                        "501 5.5.2 Cannot decode response", "501 5.5.2 Cannot decode response",
                        "535 5.7.8 Authentication credentials invalid",
                        "535 5.7.8 Authentication credentials invalid", "250 2.1.0 Ok",
                        "503 5.5.1 Error: AUTH not allowed in a mail transaction"}));
  ASSERT_EQ(dialogue.checked().size(), 1u);  // only the well-formed attempt was checked
  EXPECT_EQ(dialogue.session().authenticated_user(), "");
}

TEST(SmtpServerAuth, SecondAuthIsRefused) {
  Dialogue dialogue = tls_dialogue();
  dialogue.feed(crlf_lines(
      {"AUTH PLAIN " + plain("", "alice", "pw"), "AUTH PLAIN " + plain("", "bob", "pw")}));
  EXPECT_EQ(dialogue.output(), crlf_lines({"235 2.7.0 Authentication successful",
                                           "503 5.5.1 Error: already authenticated"}));
}

TEST(SmtpServerAuth, LockedOutClientIsDisconnected) {
  Dialogue dialogue = tls_dialogue();
  dialogue.answer_checks_with(CredentialCheck::locked_out);
  dialogue.feed(crlf_lines({"AUTH PLAIN " + plain("", "alice", "pw"), "NOOP"}));
  EXPECT_EQ(dialogue.output(),
            "421 4.7.0 mx.test Error: too many failed authentication attempts\r\n");
  EXPECT_TRUE(dialogue.closed());
}

TEST(SmtpServerAuth, NotOfferedWithoutCredentials) {
  ServerSessionContext context = tls_context();
  context.auth_available = false;
  Dialogue dialogue(context);
  dialogue.feed(crlf_lines({"EHLO client.test", "STARTTLS"}));
  dialogue.feed(crlf_lines({"EHLO client.test", "AUTH PLAIN"}));
  EXPECT_TRUE(dialogue.output().ends_with(
      "250-DSN\r\n250 REQUIRETLS\r\n502 5.5.1 Error: authentication not enabled\r\n"));
}

TEST(SmtpServerAuth, PipelinedAuthIsAnsweredInOrder) {
  Dialogue dialogue = tls_dialogue();
  dialogue.feed(crlf_lines({"NOOP", "AUTH PLAIN " + plain("", "alice", "pw"), "NOOP"}));
  EXPECT_EQ(dialogue.output(),
            crlf_lines({"250 2.0.0 Ok", "235 2.7.0 Authentication successful", "250 2.0.0 Ok"}));
}

// ---- network errors ----

// Drives a STARTTLS + AUTH + BDAT dialogue with the n-th I/O action (write, read, TLS
// handshake) failing; returns how many actions ran and what was stored.
struct InjectedRun {
  std::size_t actions = 0;
  std::size_t stored = 0;
  bool closed = false;
};

InjectedRun run_with_failure_at(std::size_t failing_action) {
  const std::vector<std::string> script = {
      crlf_lines({"EHLO client.test", "STARTTLS"}),
      crlf_lines({"EHLO client.test", "AUTH PLAIN " + plain("", "alice", "pw")}),
      crlf_lines({"MAIL FROM:<a@client.test> RET=FULL", "RCPT TO:<b@remote.test> NOTIFY=NEVER"}) +
          bdat("chunk one\r\n"),
      bdat("chunk two\r\n", true), "QUIT\r\n"};
  SmtpServerSession session(tls_context(false));
  InjectedRun run;
  std::size_t next_piece = 0;
  auto io_fails = [&] { return ++run.actions == failing_action; };
  for (int guard = 0; guard < 1000 && !run.closed; ++guard) {
    auto step = session.next();
    switch (step.kind) {
      case SmtpServerSession::Step::Kind::send:
        if (io_fails()) session.on_eof();
        break;
      case SmtpServerSession::Step::Kind::need_input:
        if (io_fails() || next_piece == script.size()) {
          session.on_eof();
        } else {
          session.on_input(script[next_piece++]);
        }
        break;
      case SmtpServerSession::Step::Kind::start_tls:
        if (io_fails()) {
          session.on_eof();
        } else {
          session.on_tls_started();
        }
        break;
      case SmtpServerSession::Step::Kind::verify_credentials:
        session.on_credentials_checked(CredentialCheck::accepted);
        break;
      case SmtpServerSession::Step::Kind::store_message:
        ++run.stored;
        EXPECT_EQ(session.message().data, "chunk one\r\nchunk two\r\n");
        session.on_stored("Q");
        break;
      case SmtpServerSession::Step::Kind::close:
        run.closed = true;
        break;
    }
  }
  return run;
}

TEST(SmtpServerNetworkErrors, EveryFailurePointEndsTheSessionCleanly) {
  InjectedRun clean = run_with_failure_at(0);
  ASSERT_TRUE(clean.closed);
  ASSERT_EQ(clean.stored, 1u);
  std::size_t stores_seen = 0;
  for (std::size_t failing = 1; failing <= clean.actions; ++failing) {
    InjectedRun run = run_with_failure_at(failing);
    EXPECT_TRUE(run.closed) << "failure at action " << failing;
    EXPECT_LE(run.actions, failing) << "I/O after the failure at action " << failing;
    EXPECT_LE(run.stored, 1u);
    stores_seen += run.stored;
  }
  // Failures before the last chunk arrived stored nothing; later ones kept the message.
  EXPECT_GT(stores_seen, 0u);
  EXPECT_LT(stores_seen, clean.actions);
}

}  // namespace
}  // namespace mxrelay::mta
