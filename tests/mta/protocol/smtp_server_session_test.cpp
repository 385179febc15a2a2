// tests: SmtpServerSession dialogues: the happy path, pipelining, every refusal code,
// relay control, limits, timeouts and store outcomes.
#include "mta/protocol/smtp_server_session.hpp"

#include <gtest/gtest.h>

#include "smtp_server_dialogue.hpp"

namespace mxrelay::mta {
namespace {

using testing::crlf_lines;
using testing::Dialogue;
using testing::kBanner;
using testing::kEhloReply;
using testing::test_context;

const std::string kOpenTransaction =
    crlf_lines({"EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<b@remote.test>"});
const std::string kOpenTransactionReplies =
    kEhloReply + crlf_lines({"250 2.1.0 Ok", "250 2.1.5 Ok"});

TEST(SmtpServerSession, GreetsWithBanner) {
  SmtpServerSession session(test_context());
  EXPECT_EQ(session.greeting(), kBanner);
}

TEST(SmtpServerSession, HappyPathStoresMessageAndQuits) {
  Dialogue dialogue;
  for (auto line : {"EHLO client.test", "MAIL FROM:<sender@client.test> SIZE=30 BODY=8BITMIME",
                    "RCPT TO:<one@remote.test>", "RCPT TO:<two@other.test>", "DATA", "Subject: hi",
                    "", "hello", "..dot", ".", "QUIT"})
    dialogue.feed(std::string(line) + "\r\n");
  EXPECT_EQ(dialogue.output(),
            kEhloReply + crlf_lines({"250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.1.5 Ok",
                                     "354 End data with <CR><LF>.<CR><LF>",
                                     "250 2.0.0 Ok: queued as Q1", "221 2.0.0 Bye"}));
  ASSERT_EQ(dialogue.stored().size(), 1u);
  const ReceivedMessage& message = dialogue.stored()[0];
  EXPECT_EQ(message.helo, "client.test");
  EXPECT_EQ(message.sender, "sender@client.test");
  EXPECT_EQ(message.recipients, (std::vector<std::string>{"one@remote.test", "two@other.test"}));
  EXPECT_EQ(message.data, "Subject: hi\r\n\r\nhello\r\n.dot\r\n");
  EXPECT_EQ(message.body, BodyType::eight_bit_mime);
  EXPECT_FALSE(message.smtputf8);
  EXPECT_TRUE(dialogue.closed());
}

TEST(SmtpServerSession, PipelinedCommandsAreAnsweredInOrderInOneSend) {
  Dialogue dialogue;
  dialogue.feed(crlf_lines({"EHLO client.test", "MAIL FROM:<>", "RCPT TO:<x@remote.test>",
                            "RCPT TO:<bad>", "RCPT TO:<y@remote.test>", "DATA"}));
  EXPECT_EQ(dialogue.send_steps(), 1u);
  EXPECT_EQ(dialogue.output(),
            kEhloReply + crlf_lines({"250 2.1.0 Ok", "250 2.1.5 Ok",
                                     "501 5.1.3 Bad recipient address syntax", "250 2.1.5 Ok",
                                     "354 End data with <CR><LF>.<CR><LF>"}));
  dialogue.feed(crlf_lines({"body", ".", "MAIL FROM:<c@client.test>", "RCPT TO:<z@remote.test>",
                            "DATA", "second", ".", "QUIT"}));
  ASSERT_EQ(dialogue.stored().size(), 2u);
  EXPECT_EQ(dialogue.stored()[0].sender, "");
  EXPECT_EQ(dialogue.stored()[0].recipients,
            (std::vector<std::string>{"x@remote.test", "y@remote.test"}));
  EXPECT_EQ(dialogue.stored()[1].data, "second\r\n");
  EXPECT_TRUE(dialogue.output().ends_with(crlf_lines(
      {"250 2.0.0 Ok: queued as Q1", "250 2.1.0 Ok", "250 2.1.5 Ok",
       "354 End data with <CR><LF>.<CR><LF>", "250 2.0.0 Ok: queued as Q2", "221 2.0.0 Bye"})));
}

TEST(SmtpServerSession, StoreIsOfferedOnlyAfterPendingRepliesAndBlocksInput) {
  SmtpServerSession session(test_context());
  session.on_input(kOpenTransaction + crlf_lines({"DATA", "x", ".", "NOOP"}));
  auto step = session.next();
  EXPECT_EQ(step.kind, SmtpServerSession::Step::Kind::send);
  EXPECT_EQ(step.bytes, kOpenTransactionReplies + "354 End data with <CR><LF>.<CR><LF>\r\n");
  step = session.next();
  EXPECT_EQ(step.kind, SmtpServerSession::Step::Kind::store_message);
  EXPECT_EQ(session.message().data, "x\r\n");
  EXPECT_EQ(session.buffered_bytes(), 6u);  // NOOP waits until the store is done
  session.on_stored("ABC");
  step = session.next();
  EXPECT_EQ(step.kind, SmtpServerSession::Step::Kind::send);
  EXPECT_EQ(step.bytes, crlf_lines({"250 2.0.0 Ok: queued as ABC", "250 2.0.0 Ok"}));
  EXPECT_EQ(session.next().kind, SmtpServerSession::Step::Kind::need_input);
}

struct ReplyCase {
  const char* name;
  std::string input;     // client lines
  std::string expected;  // the replies after the banner
};

class Replies : public ::testing::TestWithParam<ReplyCase> {};

TEST_P(Replies, MatchTheScript) {
  Dialogue dialogue;
  dialogue.feed(GetParam().input);
  EXPECT_EQ(dialogue.output(), GetParam().expected);
  EXPECT_TRUE(dialogue.stored().empty());
}

std::string ehlo_then(std::initializer_list<std::string_view> lines) {
  return crlf_lines({"EHLO client.test"}) + crlf_lines(lines);
}
std::string ehlo_replies(std::initializer_list<std::string_view> lines) {
  return kEhloReply + crlf_lines(lines);
}

INSTANTIATE_TEST_SUITE_P(
    SmtpServerSession, Replies,
    ::testing::Values(
        ReplyCase{"UnknownCommand", crlf_lines({"BOGUS"}),
                  crlf_lines({"500 5.5.2 Error: command not recognized"})},
        ReplyCase{"EmptyLine", crlf_lines({""}),
                  crlf_lines({"500 5.5.2 Error: command not recognized"})},
        ReplyCase{"VerbsIgnoreCase",
                  crlf_lines({"eHlO client.test", "mail from:<a@b.test>", "Rcpt To:<c@d.test>",
                              "rset", "nOoP"}),
                  ehlo_replies({"250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.0.0 Ok", "250 2.0.0 Ok"})},
        ReplyCase{"Helo", crlf_lines({"HELO client.test", "MAIL FROM:<a@b.test>"}),
                  crlf_lines({"250 mx.test", "250 2.1.0 Ok"})},
        ReplyCase{"EhloNeedsArgument", crlf_lines({"EHLO", "HELO", "EHLO a b"}),
                  crlf_lines({"501 5.5.4 Syntax: EHLO hostname", "501 5.5.4 Syntax: HELO hostname",
                              "501 5.5.4 Syntax: EHLO hostname"})},
        ReplyCase{"EhloAddressLiteral", crlf_lines({"EHLO [127.0.0.1]"}), kEhloReply},
        ReplyCase{"MailBeforeEhlo", crlf_lines({"MAIL FROM:<a@b.test>"}),
                  crlf_lines({"503 5.5.1 Error: send HELO/EHLO first"})},
        ReplyCase{"RcptBeforeMail", ehlo_then({"RCPT TO:<a@b.test>"}),
                  ehlo_replies({"503 5.5.1 Error: need MAIL command"})},
        ReplyCase{"DataBeforeMail", ehlo_then({"DATA"}),
                  ehlo_replies({"503 5.5.1 Error: need MAIL command"})},
        ReplyCase{"DataBeforeRcpt", ehlo_then({"MAIL FROM:<a@b.test>", "DATA"}),
                  ehlo_replies({"250 2.1.0 Ok", "503 5.5.1 Error: need RCPT command"})},
        ReplyCase{"NestedMail", ehlo_then({"MAIL FROM:<a@b.test>", "MAIL FROM:<a@b.test>"}),
                  ehlo_replies({"250 2.1.0 Ok", "503 5.5.1 Error: nested MAIL command"})},
        ReplyCase{"MailSyntax",
                  ehlo_then({"MAIL", "MAIL FROM", "MAIL TO:<a@b.test>", "MAIL FROM:a@b.test",
                             "MAIL FROM:<a@b.test>SIZE=1"}),
                  ehlo_replies({"501 5.5.4 Syntax: MAIL FROM:<address>",
                                "501 5.5.4 Syntax: MAIL FROM:<address>",
                                "501 5.5.4 Syntax: MAIL FROM:<address>",
                                "501 5.5.4 Syntax: MAIL FROM:<address>",
                                "501 5.1.7 Bad sender address syntax"})},
        ReplyCase{"BadSender",
                  ehlo_then({"MAIL FROM:<a@@b.test>", "MAIL FROM:<a@b.test", "MAIL FROM:<a b@c>",
                             "MAIL FROM:<" + std::string(65, 'a') + "@b.test>"}),
                  ehlo_replies({"501 5.1.7 Bad sender address syntax",
                                "501 5.1.7 Bad sender address syntax",
                                "501 5.1.7 Bad sender address syntax",
                                "501 5.1.7 Sender address too long"})},
        ReplyCase{"SpaceAfterColonTolerated", ehlo_then({"MAIL FROM: <a@b.test>"}),
                  ehlo_replies({"250 2.1.0 Ok"})},
        ReplyCase{"BadRecipient",
                  ehlo_then({"MAIL FROM:<a@b.test>", "RCPT TO:<>", "RCPT TO:", "RCPT TO:<x@>",
                             "RCPT TO:<x@y.test.>", "RCPT TO:<x@[1.2.3]>", "RCPT TO:<postmaster>"}),
                  ehlo_replies({"250 2.1.0 Ok", "501 5.1.3 Bad recipient address syntax",
                                "501 5.5.4 Syntax: RCPT TO:<address>",
                                "501 5.1.3 Bad recipient address syntax",
                                "501 5.1.3 Bad recipient address syntax",
                                "501 5.1.3 Bad recipient address syntax",
                                "501 5.1.3 Bad recipient address syntax"})},
        ReplyCase{
            "SizeParameter",
            ehlo_then({"MAIL FROM:<a@b.test> SIZE=52428801", "MAIL FROM:<a@b.test> SIZE=x",
                       "MAIL FROM:<a@b.test> SIZE=999999999999999999999999",
                       "MAIL FROM:<a@b.test> SIZE=1 SIZE=1",
                       "MAIL FROM:<a@b.test> SIZE=", "MAIL FROM:<a@b.test> size=52428800"}),
            ehlo_replies({"552 5.3.4 Message size exceeds fixed limit", "501 5.5.4 Bad SIZE value",
                          "552 5.3.4 Message size exceeds fixed limit", "501 5.5.4 Duplicate SIZE",
                          "501 5.5.4 Syntax: MAIL FROM:<address>", "250 2.1.0 Ok"})},
        ReplyCase{
            "BodyParameter",
            ehlo_then({"MAIL FROM:<a@b.test> BODY=BINARYMIME", "MAIL FROM:<a@b.test> BODY",
                       "MAIL FROM:<a@b.test> BODY=7bit"}),
            ehlo_replies({"501 5.5.4 Bad BODY value", "501 5.5.4 Bad BODY value", "250 2.1.0 Ok"})},
        ReplyCase{"UnknownParameters",
                  ehlo_then({"MAIL FROM:<a@b.test> XRET=HDRS", "MAIL FROM:<a@b.test>",
                             "RCPT TO:<c@d.test> XNOTIFY=NEVER"}),
                  ehlo_replies({"555 5.5.4 Unsupported MAIL parameter", "250 2.1.0 Ok",
                                "555 5.5.4 Unsupported RCPT parameter"})},
        ReplyCase{"ParametersNeedEhlo",
                  crlf_lines({"HELO client.test", "MAIL FROM:<a@b.test> BODY=8BITMIME"}),
                  crlf_lines({"250 mx.test", "555 5.5.4 MAIL parameters need EHLO"})},
        ReplyCase{
            "Utf8NeedsSmtputf8",
            ehlo_then({"MAIL FROM:<j\xC3\xBCrg@b.test>", "MAIL FROM:<a@b.test>",
                       "RCPT TO:<x@b\xC3\xBC"
                       "cher.test>",
                       "RSET", "MAIL FROM:<j\xC3\xBCrg@b.test> SMTPUTF8 SMTPUTF8",
                       "MAIL FROM:<j\xC3\xBCrg@b.test> SMTPUTF8=yes",
                       "MAIL FROM:<j\xC3\xBCrg@b.test> SMTPUTF8",
                       "RCPT TO:<x@b\xC3\xBC"
                       "cher.test>"}),
            ehlo_replies({"553 5.6.7 Non-ASCII sender address needs SMTPUTF8", "250 2.1.0 Ok",
                          "553 5.6.7 Non-ASCII recipient address needs SMTPUTF8", "250 2.0.0 Ok",
                          "501 5.5.4 Duplicate SMTPUTF8", "501 5.5.4 SMTPUTF8 takes no value",
                          "250 2.1.0 Ok", "250 2.1.5 Ok"})},
        ReplyCase{
            "ParametersDoNotLeakIntoNextMail",
            ehlo_then({"MAIL FROM:<a@b.test> SMTPUTF8 BODY=FOO", "MAIL FROM:<j\xC3\xBCrg@b.test>"}),
            ehlo_replies({"501 5.5.4 Bad BODY value",
                          "553 5.6.7 Non-ASCII sender address needs SMTPUTF8"})},
        ReplyCase{"Rset",
                  ehlo_then({"MAIL FROM:<a@b.test>", "RSET", "RCPT TO:<c@d.test>", "RSET x"}),
                  ehlo_replies({"250 2.1.0 Ok", "250 2.0.0 Ok",
                                "503 5.5.1 Error: need MAIL command", "501 5.5.4 Syntax: RSET"})},
        ReplyCase{"EhloResetsTransaction",
                  ehlo_then({"MAIL FROM:<a@b.test>", "EHLO client.test", "RCPT TO:<c@d.test>"}),
                  ehlo_replies({"250 2.1.0 Ok"}) + kEhloReply +
                      crlf_lines({"503 5.5.1 Error: need MAIL command"})},
        ReplyCase{
            "NoopHelpVrfyExpn",
            crlf_lines({"NOOP", "NOOP anything", "HELP", "VRFY someone", "VRFY", "EXPN list"}),
            crlf_lines({"250 2.0.0 Ok", "250 2.0.0 Ok",
                        "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY "
                        "STARTTLS AUTH",
                        "252 2.1.5 Cannot VRFY user, but will accept message and attempt "
                        "delivery",
                        "501 5.5.4 Syntax: VRFY address",
                        "502 5.5.1 Error: command not implemented"})},
        ReplyCase{"DataTakesNoArgument", kOpenTransaction + crlf_lines({"DATA now"}),
                  kOpenTransactionReplies + crlf_lines({"501 5.5.4 Syntax: DATA"})},
        ReplyCase{"QuitClosesAndIgnoresTheRest", crlf_lines({"QUIT x", "QUIT", "NOOP"}),
                  crlf_lines({"501 5.5.4 Syntax: QUIT", "221 2.0.0 Bye"})},
        ReplyCase{"NulInCommand", std::string("NOOP \0x\r\nNOOP\r\n", 15),
                  crlf_lines({"501 5.5.4 Error: NUL not allowed in commands", "250 2.0.0 Ok"})},
        ReplyCase{
            "BareLineEndingsInCommandsAreNotLineEnds",
            "NOOP\nNOOP\r\nNOOP\rNOOP\r\nMAIL FROM:<a@b.test>\n\r\nNOOP\r\n",
            crlf_lines({"500 5.5.2 Error: bare CR or LF not allowed in commands",
                        "500 5.5.2 Error: bare CR or LF not allowed in commands",
                        "500 5.5.2 Error: bare CR or LF not allowed in commands", "250 2.0.0 Ok"})},
        ReplyCase{"CommandLineLimitIs512WithCrlf",
                  crlf_lines({"NOOP " + std::string(505, 'x'), "NOOP " + std::string(506, 'x'),
                              std::string(5000, 'A'), "NOOP"}),
                  crlf_lines({"250 2.0.0 Ok", "500 5.5.2 Error: command line too long",
                              "500 5.5.2 Error: command line too long", "250 2.0.0 Ok"})}),
    [](const auto& info) { return info.param.name; });

TEST(SmtpServerSession, RelayDeniedForEveryRecipientWhenNotAllowed) {
  Dialogue dialogue(test_context(false));
  dialogue.feed(kOpenTransaction + crlf_lines({"RCPT TO:<c@d.test>", "DATA"}));
  EXPECT_EQ(dialogue.output(),
            kEhloReply + crlf_lines({"250 2.1.0 Ok", "554 5.7.1 Relay access denied",
                                     "554 5.7.1 Relay access denied",
                                     "503 5.5.1 Error: need RCPT command"}));
}

TEST(SmtpServerSession, RecipientPolicyRefusesAtRcptTimeAndKeepsTheOthers) {
  auto context = test_context(true);
  context.recipient_policy = [](std::string_view recipient) -> std::optional<core::Failure> {
    if (recipient.ends_with("@blocked.test"))
      return core::Failure::permanent(550, {5, 7, 1}, "blocked.test is closed for migration");
    return std::nullopt;
  };
  Dialogue dialogue(std::move(context));
  dialogue.feed(kOpenTransaction + crlf_lines({"RCPT TO:<x@blocked.test>", "RCPT TO:<c@d.test>",
                                               "DATA", "Subject: t", "", "hi", "."}));
  EXPECT_EQ(dialogue.output(),
            kOpenTransactionReplies +
                crlf_lines({"550 5.7.1 blocked.test is closed for migration", "250 2.1.5 Ok",
                            "354 End data with <CR><LF>.<CR><LF>", "250 2.0.0 Ok: queued as Q1"}));
  ASSERT_EQ(dialogue.stored().size(), 1u);
  EXPECT_EQ(dialogue.stored()[0].recipients,
            (std::vector<std::string>{"b@remote.test", "c@d.test"}));
}

struct RecipientCase {
  const char* name;
  std::string path;       // as sent in RCPT TO
  std::string recipient;  // as stored when relaying is allowed
};

class RelayTricks : public ::testing::TestWithParam<RecipientCase> {};

TEST_P(RelayTricks, AreDeniedWithoutRelayPermission) {
  Dialogue dialogue(test_context(false));
  dialogue.feed(
      crlf_lines({"EHLO client.test", "MAIL FROM:<a@b.test>", "RCPT TO:" + GetParam().path}));
  EXPECT_EQ(dialogue.output(),
            kEhloReply + crlf_lines({"250 2.1.0 Ok", "554 5.7.1 Relay access denied"}));
}

TEST_P(RelayTricks, AreKeptVerbatimWithRelayPermission) {
  Dialogue dialogue(test_context(true));
  dialogue.feed(crlf_lines({"EHLO client.test", "MAIL FROM:<a@b.test>",
                            "RCPT TO:" + GetParam().path, "DATA", "x", "."}));
  ASSERT_EQ(dialogue.stored().size(), 1u) << dialogue.output();
  EXPECT_EQ(dialogue.stored()[0].recipients, std::vector<std::string>{GetParam().recipient});
}

INSTANTIATE_TEST_SUITE_P(
    SmtpServerSession, RelayTricks,
    ::testing::Values(
        RecipientCase{"PercentHack", "<user%ext.test@relay.test>", "user%ext.test@relay.test"},
        RecipientCase{"QuotedAt", "<\"user@ext.test\"@relay.test>", "\"user@ext.test\"@relay.test"},
        RecipientCase{"SourceRoute", "<@relay.test:user@ext.test>", "user@ext.test"},
        RecipientCase{"LongSourceRoute", "<@a.test,@b.test:user@ext.test>", "user@ext.test"},
        RecipientCase{"BangPath", "<ext.test!user@relay.test>", "ext.test!user@relay.test"},
        RecipientCase{"MixedCase", "<UsEr@ReLaY.TeSt>", "UsEr@ReLaY.TeSt"},
        RecipientCase{"Ipv4Literal", "<user@[127.0.0.1]>", "user@[127.0.0.1]"},
        RecipientCase{"Ipv6Literal", "<user@[IPv6:::1]>", "user@[IPv6:::1]"},
        RecipientCase{"QuotedSpace", "<\"a b\"@relay.test>", "\"a b\"@relay.test"},
        RecipientCase{"SpaceAfterColon", " <user@relay.test>", "user@relay.test"}),
    [](const auto& info) { return info.param.name; });

TEST(SmtpServerSession, TrailingDotDomainIsASyntaxErrorEvenWhenRelayingIsDenied) {
  for (bool relay : {false, true}) {
    Dialogue dialogue(test_context(relay));
    dialogue.feed(kOpenTransaction + crlf_lines({"RCPT TO:<user@relay.test.>"}));
    EXPECT_TRUE(dialogue.output().ends_with("501 5.1.3 Bad recipient address syntax\r\n"));
  }
}

TEST(SmtpServerSession, TooManyRecipientsGets452AndKeepsTheFirst) {
  auto context = test_context();
  context.limits.max_recipients = 2;
  Dialogue dialogue(context);
  dialogue.feed(crlf_lines({"EHLO client.test", "MAIL FROM:<a@b.test>", "RCPT TO:<1@d.test>",
                            "RCPT TO:<2@d.test>", "RCPT TO:<3@d.test>", "DATA", "x", "."}));
  EXPECT_EQ(dialogue.output(),
            kEhloReply +
                crlf_lines({"250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.1.5 Ok",
                            "452 4.5.3 Error: too many recipients",
                            "354 End data with <CR><LF>.<CR><LF>", "250 2.0.0 Ok: queued as Q1"}));
  ASSERT_EQ(dialogue.stored().size(), 1u);
  EXPECT_EQ(dialogue.stored()[0].recipients, (std::vector<std::string>{"1@d.test", "2@d.test"}));
}

TEST(SmtpServerSession, TooManyErrorsCloseWith421) {
  std::string nineteen;
  for (int i = 0; i < 19; ++i) nineteen += "BOGUS\r\n";
  Dialogue dialogue;
  dialogue.feed(nineteen);
  EXPECT_FALSE(dialogue.closed());
  dialogue.feed("BOGUS\r\nNOOP\r\n");
  EXPECT_TRUE(dialogue.closed());
  std::string expected;
  for (int i = 0; i < 20; ++i) expected += "500 5.5.2 Error: command not recognized\r\n";
  expected += "421 4.7.0 mx.test Error: too many errors\r\n";
  EXPECT_EQ(dialogue.output(), expected);
}

TEST(SmtpServerSession, QueuedMessageForgivesEarlierErrors) {
  auto context = test_context();
  context.limits.max_errors = 3;
  Dialogue dialogue(context);
  dialogue.feed(crlf_lines({"BOGUS", "BOGUS"}) + kOpenTransaction +
                crlf_lines({"DATA", "x", ".", "BOGUS", "BOGUS", "NOOP"}));
  EXPECT_FALSE(dialogue.closed());
  EXPECT_TRUE(dialogue.output().ends_with("250 2.0.0 Ok\r\n"));
}

TEST(SmtpServerSession, TimeoutAnswers421AndCloses) {
  Dialogue dialogue;
  dialogue.feed(crlf_lines({"EHLO client.test"}) + "MAIL FROM");
  dialogue.timeout();
  EXPECT_TRUE(dialogue.closed());
  EXPECT_EQ(dialogue.output(), kEhloReply + "421 4.4.2 mx.test Error: timeout exceeded\r\n");
}

TEST(SmtpServerSession, EofClosesWithoutReply) {
  Dialogue dialogue;
  dialogue.feed(kOpenTransaction + crlf_lines({"DATA", "partial"}));
  dialogue.eof();
  EXPECT_TRUE(dialogue.closed());
  EXPECT_TRUE(dialogue.stored().empty());
  EXPECT_EQ(dialogue.output(), kOpenTransactionReplies + "354 End data with <CR><LF>.<CR><LF>\r\n");
  EXPECT_EQ(dialogue.session().next().kind, SmtpServerSession::Step::Kind::close);
}

TEST(SmtpServerSession, StoreFailureRepliesWithTheFailureAndResetsTheTransaction) {
  Dialogue dialogue;
  dialogue.fail_next_store(core::Failure::temporary(452, {4, 3, 1}, "Insufficient system storage"));
  dialogue.feed(kOpenTransaction + crlf_lines({"DATA", "x", ".", "RCPT TO:<b@remote.test>",
                                               "MAIL FROM:<a@client.test>",
                                               "RCPT TO:<b@remote.test>", "DATA", "y", "."}));
  EXPECT_EQ(dialogue.output(),
            kOpenTransactionReplies +
                crlf_lines({"354 End data with <CR><LF>.<CR><LF>",
                            "452 4.3.1 Insufficient system storage",
                            "503 5.5.1 Error: need MAIL command", "250 2.1.0 Ok", "250 2.1.5 Ok",
                            "354 End data with <CR><LF>.<CR><LF>", "250 2.0.0 Ok: queued as Q2"}));
  ASSERT_EQ(dialogue.stored().size(), 2u);
  EXPECT_EQ(dialogue.stored()[1].data, "y\r\n");
}

TEST(SmtpServerSession, StoreOutcomeWithoutPendingStoreIsAProgrammerError) {
  SmtpServerSession session(test_context());
  EXPECT_THROW(session.on_stored("Q"), std::logic_error);
  EXPECT_THROW(session.on_store_failed(core::Failure{}), std::logic_error);
}

TEST(SmtpServerSession, DataLimitsAreEnforcedAtTheEndOfData) {
  struct Case {
    std::string content;  // lines between DATA and the final dot
    std::string reply;
  };
  auto context = test_context();
  context.limits.max_message_size = 2000;
  std::string fifty_hops, fifty_one_hops;
  for (int i = 0; i < 50; ++i) fifty_hops += "Received: from x by y\r\n";
  fifty_one_hops = fifty_hops + "received : from z\r\n";
  for (const auto& [content, reply] : std::vector<Case>{
           {std::string(998, 'a') + "\r\n", "250 2.0.0 Ok: queued as Q1"},
           {std::string(999, 'a') + "\r\n",
            "552 5.3.4 Message rejected: line 1 is longer than 998 characters"},
           {"." + std::string(998, 'a') + "\r\n",
            "552 5.3.4 Message rejected: line 1 is longer than 998 characters"},
           {"Subject: x\r\n\r\n" + std::string(1200, 'a') + "\r\n",
            "552 5.3.4 Message rejected: line 3 is longer than 998 characters"},
           {"Subject: x\r\n\r\nok\r\n" + std::string(5000, 'a') + "\r\n",
            "552 5.3.4 Message rejected: line 4 is longer than 998 characters"},
           {std::string(998, 'a') + "\r\n" + std::string(998, 'b') + "\r\n",
            "250 2.0.0 Ok: queued as Q1"},
           {std::string(998, 'a') + "\r\n" + std::string(998, 'b') + "\r\nc\r\n",
            "552 5.3.4 Message size exceeds fixed limit"},
           {fifty_hops + "\r\nbody\r\n", "250 2.0.0 Ok: queued as Q1"},
           {fifty_one_hops + "\r\nbody\r\n", "554 5.4.6 Too many hops: mail loop detected"},
           {"Subject: x\r\n\r\n" + fifty_one_hops, "250 2.0.0 Ok: queued as Q1"},
       }) {
    Dialogue dialogue(context);
    dialogue.feed(kOpenTransaction + "DATA\r\n" + content + ".\r\nNOOP\r\n");
    EXPECT_TRUE(dialogue.output().ends_with(
        crlf_lines({"354 End data with <CR><LF>.<CR><LF>", reply, "250 2.0.0 Ok"})))
        << content.substr(0, 40) << "\n"
        << dialogue.output();
    EXPECT_EQ(dialogue.stored().size(), reply.starts_with("250") ? 1u : 0u);
  }
}

TEST(SmtpServerSession, ManyPipelinedRepliesAreSentInBoundedBatches) {
  std::string input;
  for (int i = 0; i < 10000; ++i) input += "NOOP\r\n";
  SmtpServerSession session(test_context());
  session.on_input(input);
  std::string output;
  for (;;) {
    auto step = session.next();
    if (step.kind != SmtpServerSession::Step::Kind::send) break;
    EXPECT_LE(step.bytes.size(), 17u * 1024);
    output += step.bytes;
  }
  EXPECT_EQ(output.size(), 10000u * std::string("250 2.0.0 Ok\r\n").size());
}

}  // namespace
}  // namespace mxrelay::mta

namespace mxrelay::mta {
namespace {

using testing::crlf_lines;
using testing::Dialogue;
using testing::test_context;

// Each 4xx or 5xx reply is kept with the command it answers, for the listener's log line;
// AUTH shows its mechanism only.
TEST(SmtpServerSession, RefusedCommandsAreRecordedForTheLog) {
  Dialogue outsider(test_context(false));
  outsider.feed(crlf_lines({"EHLO client.test", "MAIL FROM:<a@b.test>", "RCPT TO:<c@d.test>",
                            "AUTH PLAIN AGFsaWNlAHNlY3JldA==", "NOOP"}));
  auto rejections = outsider.session().take_rejections();
  ASSERT_EQ(rejections.size(), 2u);
  EXPECT_EQ(rejections[0].command, "RCPT TO:<c@d.test>");
  EXPECT_EQ(rejections[0].reply, "554 5.7.1 Relay access denied");
  EXPECT_EQ(rejections[1].command, "AUTH PLAIN");
  EXPECT_EQ(rejections[1].reply.front(), '5');
  EXPECT_TRUE(outsider.session().take_rejections().empty());

  Dialogue client;
  client.feed(
      crlf_lines({"EHLO client.test", "MAIL FROM:<a@b.test>", "RCPT TO:<c@d.test>", "DATA"}) +
      "Subject: x\r\n\r\nbare\nline feed\r\n.\r\n");
  rejections = client.session().take_rejections();
  ASSERT_EQ(rejections.size(), 1u);
  EXPECT_EQ(rejections[0].command, "end of data");
  EXPECT_TRUE(rejections[0].reply.starts_with("550 5.6.2")) << rejections[0].reply;
}

}  // namespace
}  // namespace mxrelay::mta
