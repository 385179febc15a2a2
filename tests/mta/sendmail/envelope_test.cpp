// tests/mta/sendmail: the envelope sender and recipients of a local submission, and the
// sysexits.h status for each reply the relay can refuse with.
#include "mta/sendmail/envelope.hpp"

#include <gtest/gtest.h>
#include <sysexits.h>

#include <string>
#include <vector>

#include "mta/sendmail/smtp_submission.hpp"

namespace mxrelay::mta::sendmail {
namespace {

TEST(EnvelopeSender, IsTheOptionOrTheUserAtTheHost) {
  const std::vector<std::pair<std::optional<std::string>, std::string>> cases = {
      {std::nullopt, "backup@relay.example"},
      {"ops@x.example", "ops@x.example"},
      {"<ops@x.example>", "ops@x.example"},
      {"ops", "ops@relay.example"},
      {"", ""},
      {"<>", ""},
  };
  for (const auto& [given, sender] : cases)
    EXPECT_EQ(envelope_sender(given, "backup", "relay.example"), sender) << given.value_or("-");
}

SendmailOptions options_with(std::vector<std::string> recipients, bool from_headers) {
  SendmailOptions options;
  options.recipients = std::move(recipients);
  options.recipients_from_headers = from_headers;
  return options;
}

TEST(EnvelopeRecipients, ComeFromArgumentsAndWithTFromTheHeader) {
  auto message = read_submitted_message(
      "To: ann@x.example, Bob <bob@y.example>\nBcc: hidden@x.example\n\nx\n", true);
  struct Case {
    std::vector<std::string> arguments;
    bool from_headers;
    std::vector<std::string> recipients;
  };
  const std::vector<Case> cases = {
      {{"c@z.example"}, false, {"c@z.example"}},
      {{"c@z.example, d@z.example"}, false, {"c@z.example", "d@z.example"}},
      {{}, true, {"ann@x.example", "bob@y.example", "hidden@x.example"}},
      {{"c@z.example", "ann@x.example"},
       true,
       {"c@z.example", "ann@x.example", "bob@y.example", "hidden@x.example"}},
  };
  for (const auto& c : cases) {
    auto recipients = envelope_recipients(options_with(c.arguments, c.from_headers), message);
    ASSERT_TRUE(recipients.has_value()) << recipients.error().message;
    EXPECT_EQ(*recipients, c.recipients);
  }
}

TEST(EnvelopeRecipients, RefusesWhatCannotBeDelivered) {
  auto no_header = read_submitted_message("Subject: x\n\nx\n", true);
  auto root_header = read_submitted_message("To: root\n\nx\n", true);
  struct Case {
    std::vector<std::string> arguments;
    bool from_headers;
    const SubmittedMessage& message;
    int status;
    std::string text;
  };
  const std::vector<Case> cases = {
      {{}, false, no_header, EX_USAGE, "no recipient given (name one, or use -t)"},
      {{}, true, no_header, EX_DATAERR, "no recipient in the arguments or in To, Cc or Bcc"},
      {{"root"},
       false,
       no_header,
       EX_NOUSER,
       "recipient root has no domain: mxrelay delivers no local mail, give a full address"},
      {{},
       true,
       root_header,
       EX_NOUSER,
       "recipient root has no domain: mxrelay delivers no local mail, give a full address"},
      {{"a@b@c.example"},
       false,
       no_header,
       EX_DATAERR,
       "recipient a@b@c.example is not a valid mail address"},
      {{"Ann <ann@x.example"},
       false,
       no_header,
       EX_DATAERR,
       "recipient Ann <ann@x.example: unterminated <address>"},
  };
  for (const auto& c : cases) {
    auto recipients = envelope_recipients(options_with(c.arguments, c.from_headers), c.message);
    ASSERT_FALSE(recipients.has_value()) << c.text;
    EXPECT_EQ(recipients.error().exit_status, c.status) << c.text;
    EXPECT_EQ(recipients.error().message, c.text);
  }
}

SmtpReply reply(int code, std::string text) {
  SmtpReply r;
  r.code = code;
  r.lines = {std::move(text)};
  return r;
}

TEST(FailureForReply, MapsRefusalsToSysexits) {
  struct Case {
    std::string command;
    int code;
    int status;
  };
  const std::vector<Case> cases = {
      {"the greeting", 421, EX_TEMPFAIL},
      {"the greeting", 554, EX_UNAVAILABLE},
      {"MAIL FROM:<a@x.example>", 451, EX_TEMPFAIL},
      {"MAIL FROM:<a@x.example>", 553, EX_UNAVAILABLE},
      {"RCPT TO:<b@y.example>", 450, EX_TEMPFAIL},
      {"RCPT TO:<b@y.example>", 554, EX_NOUSER},
      {"RCPT TO:<b@y.example>", 550, EX_NOUSER},
      {"the message", 552, EX_UNAVAILABLE},
      {"the message", 452, EX_TEMPFAIL},
  };
  for (const auto& c : cases) {
    auto failure = failure_for_reply(c.command, reply(c.code, "reason"));
    EXPECT_EQ(failure.exit_status, c.status) << c.command << " " << c.code;
    EXPECT_EQ(failure.message,
              "the relay refused " + c.command + ": " + std::to_string(c.code) + " reason");
  }
}

}  // namespace
}  // namespace mxrelay::mta::sendmail
