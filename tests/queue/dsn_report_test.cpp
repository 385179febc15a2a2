// Tests for render_dsn: golden files under tests/fixtures/dsn (regenerated with
// MXRELAY_UPDATE_GOLDEN=1, otherwise compared byte for byte), well-formedness, and
// attempts to inject header fields or over-long lines through remote replies.
#include "queue/dsn_report.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mxrelay::queue {
namespace {

constexpr std::int64_t kArrival = 1764081322;  // Tue, 25 Nov 2025 14:35:22 +0000

const std::string kOriginal =
    "Received: from domino.corp.example (domino.corp.example [127.0.0.10])\r\n"
    "\tby relay.example.net with ESMTP id 00061A2B3C4D5E6F; Tue, 25 Nov 2025 14:35:22 +0000\r\n"
    "From: Alice Example <alice@corp.example>\r\n"
    "To: Bob <bob@outlook.com>, Carol <carol@example.org>, Dave <dave@partner.example>\r\n"
    "Subject: Quarterly figures\r\n"
    "Date: Tue, 25 Nov 2025 15:35:20 +0100\r\n"
    "Message-ID: <q3-figures@corp.example>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "Hello,\r\n"
    "\r\n"
    "the figures are attached in spirit.\r\n"
    "--\r\n"
    "Alice\r\n";

Envelope original_envelope() {
  Envelope e;
  e.id = "00061A2B3C4D5E6F";
  e.arrival_unix = kArrival;
  e.client_address = "127.0.0.10";
  e.helo = "domino.corp.example";
  e.sender = "alice@corp.example";
  e.recipients = {"bob@outlook.com", "carol@example.org", "dave@partner.example"};
  return e;
}

DsnContext context() {
  return {.reporting_mta = "relay.example.net",
          .postmaster = "postmaster@corp.example",
          .now_unix = kArrival + 3600,
          .boundary = "00061A2B3C4D5E6F.1764084922/relay.example.net",
          .message_id = "20251125153522.00061A2B3C4D5E6F@relay.example.net"};
}

DsnRecipient bob_unknown() {
  return {.original_recipient = std::nullopt,
          .final_recipient = "bob@outlook.com",
          .action = DsnAction::failed,
          .status = {5, 1, 1},
          .remote_mta = "outlook-com.olc.protection.outlook.com",
          .diagnostic =
              "550 5.1.1 <bob@outlook.com>: Recipient address rejected: Access denied. "
              "For more information see https://aka.ms/EXOSmtpErrors [AM0PR01MB1234.eurprd01.prod]",
          .last_attempt_unix = kArrival + 3590,
          .will_retry_until_unix = std::nullopt};
}

DsnRecipient carol_null_mx() {
  return {.original_recipient = std::nullopt,
          .final_recipient = "carol@example.org",
          .action = DsnAction::failed,
          .status = {5, 1, 10},
          .remote_mta = "",
          .diagnostic = "556 5.1.10 recipient domain example.org accepts no mail (null MX)",
          .last_attempt_unix = kArrival + 3590,
          .will_retry_until_unix = std::nullopt};
}

DsnRecipient dave_delayed() {
  return {.original_recipient = std::nullopt,
          .final_recipient = "dave@partner.example",
          .action = DsnAction::delayed,
          .status = {4, 4, 1},
          .remote_mta = "mx1.partner.example",
          .diagnostic = "421 4.7.0 mx1.partner.example Service not available, try again later",
          .last_attempt_unix = kArrival + 3590,
          .will_retry_until_unix = kArrival + 5 * 86400};
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// Every line ends in CRLF, no bare CR or LF, no line longer than 998 octets.
::testing::AssertionResult well_formed(std::string_view message) {
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < message.size(); ++i) {
    bool crlf = message[i] == '\r' && i + 1 < message.size() && message[i + 1] == '\n';
    if (!crlf && (message[i] == '\r' || message[i] == '\n'))
      return ::testing::AssertionFailure() << "bare CR or LF at offset " << i;
    if (!crlf) continue;
    if (i - line_start > 998)
      return ::testing::AssertionFailure() << "line of " << i - line_start << " octets";
    line_start = i + 2;
    ++i;
  }
  if (line_start != message.size()) return ::testing::AssertionFailure() << "no final CRLF";
  return ::testing::AssertionSuccess();
}

void expect_golden(const std::string& name, const std::string& rendered) {
  EXPECT_TRUE(well_formed(rendered));
  auto path = std::filesystem::path(MXRELAY_DSN_GOLDEN_DIR) / name;
  if (std::getenv("MXRELAY_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary) << rendered;
    ASSERT_EQ(read_file(path), rendered) << "could not write " << path;
    return;
  }
  ASSERT_TRUE(std::filesystem::exists(path))
      << path << " missing; run with MXRELAY_UPDATE_GOLDEN=1";
  EXPECT_EQ(rendered, read_file(path)) << "differs from " << path;
}

bool has_line_starting(std::string_view message, std::string_view prefix) {
  return message.starts_with(prefix) ||
         message.find("\r\n" + std::string(prefix)) != std::string::npos;
}

TEST(DsnReport, FailedReturnsHeadersByDefault) {
  auto e = original_envelope();
  e.recipients = {"bob@outlook.com"};
  DsnRecipient recipients[] = {bob_unknown()};
  auto dsn = render_dsn(context(), e, kOriginal, recipients);
  expect_golden("failed_hdrs.eml", dsn);
  EXPECT_TRUE(has_line_starting(dsn, "Subject: Undelivered Mail Returned to Sender\r\n"));
  EXPECT_TRUE(has_line_starting(dsn, "Content-Type: text/rfc822-headers\r\n"));
  EXPECT_EQ(dsn.find("attached in spirit"), std::string::npos);
}

TEST(DsnReport, FailedWithRetFullReturnsTheWholeMessage) {
  auto e = original_envelope();
  e.recipients = {"bob@outlook.com"};
  e.ret = DsnRet::full;
  e.envid = "QQ314159";
  auto bob = bob_unknown();
  bob.original_recipient = OriginalRecipient{"rfc822", "Bob@Outlook.com"};
  DsnRecipient recipients[] = {bob};
  auto dsn = render_dsn(context(), e, kOriginal, recipients);
  expect_golden("failed_full.eml", dsn);
  EXPECT_TRUE(has_line_starting(dsn, "Content-Type: message/rfc822\r\n"));
  EXPECT_TRUE(has_line_starting(dsn, "Original-Envelope-Id: QQ314159\r\n"));
  EXPECT_TRUE(has_line_starting(dsn, "Original-Recipient: rfc822;Bob@Outlook.com\r\n"));
  EXPECT_NE(dsn.find("the figures are attached in spirit.\r\n"), std::string::npos);
}

TEST(DsnReport, ARequireTlsMessageReturnsOnlyItsHeadersEvenWithRetFull) {
  auto e = original_envelope();
  e.recipients = {"bob@outlook.com"};
  e.ret = DsnRet::full;
  e.require_tls = true;
  DsnRecipient recipients[] = {bob_unknown()};
  const auto dsn = render_dsn(context(), e, kOriginal, recipients);
  EXPECT_FALSE(has_line_starting(dsn, "Content-Type: message/rfc822\r\n"));
  EXPECT_TRUE(has_line_starting(dsn, "Content-Type: text/rfc822-headers\r\n"));
  EXPECT_EQ(dsn.find("the figures are attached in spirit.\r\n"), std::string::npos);
}

TEST(DsnReport, DelayWarning) {
  auto e = original_envelope();
  e.recipients = {"dave@partner.example"};
  DsnRecipient recipients[] = {dave_delayed()};
  auto dsn = render_dsn(context(), e, kOriginal, recipients);
  expect_golden("delayed.eml", dsn);
  EXPECT_TRUE(has_line_starting(dsn, "Subject: Delayed Mail (still being retried)\r\n"));
  EXPECT_TRUE(has_line_starting(dsn, "Will-Retry-Until: Sun, 30 Nov 2025 14:35:22 +0000\r\n"));
}

TEST(DsnReport, MultipleRecipientsTwoFailedOneDelayed) {
  DsnRecipient recipients[] = {bob_unknown(), carol_null_mx(), dave_delayed()};
  auto dsn = render_dsn(context(), original_envelope(), kOriginal, recipients);
  expect_golden("multi_recipient.eml", dsn);
  EXPECT_TRUE(has_line_starting(dsn, "Subject: Undelivered Mail Returned to Sender\r\n"));
  EXPECT_TRUE(has_line_starting(dsn, "Final-Recipient: rfc822; carol@example.org\r\n"));
  EXPECT_TRUE(has_line_starting(dsn, "Action: delayed\r\n"));
}

TEST(DsnReport, NoRemoteMtaMeansNoRemoteMtaField) {
  DsnRecipient recipients[] = {carol_null_mx()};
  auto dsn = render_dsn(context(), original_envelope(), kOriginal, recipients);
  EXPECT_FALSE(has_line_starting(dsn, "Remote-MTA:"));
  EXPECT_FALSE(has_line_starting(dsn, "Will-Retry-Until:"));
  EXPECT_TRUE(has_line_starting(dsn, "Diagnostic-Code: smtp; 556 5.1.10 "));
}

TEST(DsnReport, SuccessReport) {
  auto delivered = bob_unknown();
  delivered.action = DsnAction::delivered;
  delivered.status = {2, 0, 0};
  delivered.diagnostic = "250 2.0.0 OK";
  DsnRecipient recipients[] = {delivered};
  auto dsn = render_dsn(context(), original_envelope(), kOriginal, recipients);
  EXPECT_TRUE(has_line_starting(dsn, "Subject: Successful Mail Delivery Report\r\n"));
  EXPECT_TRUE(has_line_starting(dsn, "Action: delivered\r\n"));
  EXPECT_TRUE(well_formed(dsn));
}

TEST(DsnReport, RemoteReplyCannotInjectHeaderFields) {
  auto evil = bob_unknown();
  evil.remote_mta = "mx.evil.example\r\nX-Injected: remote-mta";
  evil.diagnostic = "550 5.1.1 no\r\nBcc: victim@evil.example\r\n\r\nforged\rbody\n\x01tail";
  DsnRecipient recipients[] = {evil};
  auto dsn = render_dsn(context(), original_envelope(), kOriginal, recipients);
  EXPECT_TRUE(well_formed(dsn));
  EXPECT_FALSE(has_line_starting(dsn, "Bcc:"));
  EXPECT_FALSE(has_line_starting(dsn, "X-Injected:"));
  EXPECT_FALSE(has_line_starting(dsn, "forged"));
  EXPECT_TRUE(has_line_starting(
      dsn, "Diagnostic-Code: smtp; 550 5.1.1 no Bcc: victim@evil.example forged body tail\r\n"));
  EXPECT_TRUE(
      has_line_starting(dsn, "Remote-MTA: dns; mx.evil.example X-Injected: remote-mta\r\n"));
}

TEST(DsnReport, LongRepliesAndLinesStayWithinTheLineLimit) {
  auto noisy = bob_unknown();
  noisy.diagnostic = "550 5.7.1 " + std::string(3000, 'x') + " " + std::string(200, 'y');
  DsnRecipient recipients[] = {noisy};
  auto e = original_envelope();
  e.ret = DsnRet::full;
  auto original = "Subject: long\nX-Long: " + std::string(2500, 'z') + "\n\nbare LF body\r";
  auto dsn = render_dsn(context(), e, original, recipients);
  EXPECT_TRUE(well_formed(dsn));
  EXPECT_NE(dsn.find("\r\nbare LF body\r\n"), std::string::npos);
  EXPECT_NE(dsn.find(std::string(200, 'y')), std::string::npos);
}

TEST(DsnReport, BoundaryIsLengthenedWhenTheOriginalContainsIt) {
  DsnContext ctx = context();
  ctx.boundary = "b1";
  DsnRecipient recipients[] = {bob_unknown()};
  auto e = original_envelope();
  e.ret = DsnRet::full;
  auto dsn = render_dsn(ctx, e, "Subject: trap\r\n\r\n--b1\r\n--b1--\r\n", recipients);
  EXPECT_NE(dsn.find("boundary=\"b1-x\""), std::string::npos);
  EXPECT_TRUE(has_line_starting(dsn, "--b1-x--\r\n"));
}

TEST(DsnReport, FailedBounceGoesToThePostmaster) {
  auto e = original_envelope();
  e.sender = "";
  DsnRecipient recipients[] = {bob_unknown()};
  auto dsn = render_dsn(context(), e, kOriginal, recipients);
  EXPECT_TRUE(has_line_starting(dsn, "To: <postmaster@corp.example>\r\n"));
}

TEST(DsnReport, EightBitHeadersAreDeclared) {
  DsnRecipient recipients[] = {bob_unknown()};
  auto dsn = render_dsn(context(), original_envelope(),
                        "Subject: Gr\xc3\xbc\xc3\x9f"
                        "e\r\n\r\nx\r\n",
                        recipients);
  EXPECT_TRUE(has_line_starting(dsn, "Content-Transfer-Encoding: 8bit\r\n"));
}

}  // namespace
}  // namespace mxrelay::queue
