// Tests for the client side of SMTP AUTH (RFC 4954) and implicit TLS (RFC 8314) in the
// outbound session: mechanism choice, PLAIN and LOGIN dialogues, credentials only inside
// TLS, every refusal a temporary failure, a fault injected at every step, byte-by-byte
// feeding, and secrets never in the transcript.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client_script.hpp"
#include "mta/protocol/base64.hpp"
#include "mta/protocol/client_auth.hpp"

namespace mxrelay::mta {
namespace {

const ClientCredentials credentials{"relayuser", "s3cret pass"};
const std::string plain_response = plain_initial_response(credentials);

const std::string body = "Subject: auth\r\n\r\nhello\r\n";
const std::string greeting = "220 smtp.example ESMTP\r\n";
const std::string ehlo_starttls = "250-smtp.example\r\n250-AUTH LOGIN PLAIN\r\n250 STARTTLS\r\n";
const std::string ehlo_plain_only = "250-smtp.example\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n";
const std::string ehlo_login_only = "250-smtp.example\r\n250 AUTH LOGIN\r\n";
const std::string ehlo_no_auth = "250-smtp.example\r\n250 8BITMIME\r\n";
const std::string ehlo_cram_only = "250-smtp.example\r\n250 AUTH CRAM-MD5\r\n";
const std::string tls_go = "220 2.0.0 Ready to start TLS\r\n";
const std::string auth_ok = "235 2.7.0 Authentication successful\r\n";
const std::string ask_user = "334 VXNlcm5hbWU6\r\n";
const std::string ask_password = "334 UGFzc3dvcmQ6\r\n";
const std::string mail_ok = "250 2.1.0 Ok\r\n";
const std::string rcpt_ok = "250 2.1.5 Ok\r\n";
const std::string data_go = "354 go ahead\r\n";
const std::string queued = "250 2.0.0 Ok: queued\r\n";
const std::string bye = "221 2.0.0 Bye\r\n";

OutboundMessage message() {
  OutboundMessage out;
  out.sender = "sender@client.example";
  out.recipients = {"user@dest.example"};
  out.data = &body;
  return out;
}
const OutboundMessage one_message = message();

ClientSessionContext auth_context(TlsPolicy policy, bool implicit_tls = false) {
  ClientSessionContext out{"relay.example", "smtp.example[127.0.0.1]:587", policy};
  out.credentials = credentials;
  out.implicit_tls = implicit_tls;
  return out;
}

// Neither the password nor any encoding of it appears in `text`.
void expect_no_secret(const std::string& text) {
  EXPECT_EQ(text.find(credentials.password), std::string::npos) << text;
  EXPECT_EQ(text.find(plain_response), std::string::npos) << text;
  EXPECT_EQ(text.find(encode_base64(credentials.password)), std::string::npos) << text;
}

struct Script {
  const char* name;
  ClientSessionContext context;
  std::vector<std::string> replies;
};

std::vector<Script> delivering_scripts() {
  return {
      {"starttls then PLAIN",
       auth_context(TlsPolicy::encrypt),
       {greeting, ehlo_starttls, tls_go, ehlo_plain_only, auth_ok, mail_ok, rcpt_ok, data_go,
        queued, bye}},
      {"starttls then LOGIN",
       auth_context(TlsPolicy::verify),
       {greeting, ehlo_starttls, tls_go, ehlo_login_only, ask_user, ask_password, auth_ok, mail_ok,
        rcpt_ok, data_go, queued, bye}},
      {"implicit TLS then PLAIN",
       auth_context(TlsPolicy::verify, true),
       {greeting, ehlo_plain_only, auth_ok, mail_ok, rcpt_ok, data_go, queued, bye}},
  };
}

Run run_script(const Script& script, Feed feed = Feed::per_reply,
               std::optional<Injection> injection = std::nullopt) {
  return run(script.replies, {&one_message}, feed, injection, script.context,
             TlsScript::established);
}

TEST(ClientAuth, MechanismChoicePrefersPlainThenLogin) {
  struct Row {
    std::vector<std::string> offered;
    std::optional<AuthMechanism> chosen;
  } rows[] = {
      {{"LOGIN", "PLAIN"}, AuthMechanism::plain},
      {{"PLAIN"}, AuthMechanism::plain},
      {{"CRAM-MD5", "LOGIN"}, AuthMechanism::login},
      {{"CRAM-MD5", "XOAUTH2"}, std::nullopt},
      {{}, std::nullopt},
  };
  for (const auto& row : rows) EXPECT_EQ(choose_auth_mechanism(row.offered), row.chosen);
}

TEST(ClientAuth, PlainInitialResponseIsNulUserNulPassword) {
  EXPECT_EQ(plain_initial_response({"user", "pass"}), "AHVzZXIAcGFzcw==");
}

TEST(ClientAuth, DeliversAfterAuthenticatingInsideTls) {
  for (const auto& script : delivering_scripts()) {
    SCOPED_TRACE(script.name);
    const auto out = run_script(script);
    ASSERT_EQ(out.results.size(), 1u);
    EXPECT_TRUE(out.results[0].delivered(0));
    EXPECT_EQ(out.auth, AuthOutcome::succeeded);
    EXPECT_FALSE(out.starved);
    expect_no_secret(out.transcript);
    // The credentials go after the TLS marker in the transcript, never before.
    EXPECT_LT(out.transcript.find("<TLS "), out.transcript.find("C: AUTH "));
  }
}

TEST(ClientAuth, PlainSendsTheInitialResponseAndTheTranscriptOnlyTheUser) {
  const auto out = run_script(delivering_scripts()[0]);
  EXPECT_NE(out.wire.find("AUTH PLAIN " + plain_response + "\r\n"), std::string::npos);
  EXPECT_NE(out.transcript.find("C: AUTH PLAIN <credentials of relayuser>"), std::string::npos)
      << out.transcript;
}

TEST(ClientAuth, LoginAnswersBothChallenges) {
  const auto out = run_script(delivering_scripts()[1]);
  EXPECT_NE(out.wire.find("AUTH LOGIN\r\n" + encode_base64("relayuser") + "\r\n" +
                          encode_base64("s3cret pass") + "\r\nMAIL FROM:"),
            std::string::npos)
      << out.wire;
  EXPECT_NE(out.transcript.find("C: <user name relayuser>\nS: 334 UGFzc3dvcmQ6\nC: <password>"),
            std::string::npos)
      << out.transcript;
}

TEST(ClientAuth, ImplicitTlsHandshakesBeforeTheGreetingAndNeverSaysStarttls) {
  ClientSessionContext implicit{"relay.example", "smtp.example[127.0.0.1]:465", TlsPolicy::verify};
  implicit.implicit_tls = true;
  SmtpClientSession session(implicit);
  ASSERT_EQ(session.next().kind, Kind::start_tls);
  ASSERT_TRUE(session.begin_tls(0));
  session.on_tls_established("TLSv1.3 TLS_AES_256_GCM_SHA384 verified");
  EXPECT_TRUE(session.tls_active());
  const auto greeting_step = session.next();
  EXPECT_EQ(greeting_step.kind, Kind::need_input);
  EXPECT_EQ(greeting_step.wait, Wait::greeting);
  session.on_input(greeting);
  EXPECT_EQ(session.next().bytes, "EHLO relay.example\r\n");
  EXPECT_EQ(session.next().kind, Kind::need_input);
  session.on_input(ehlo_starttls);  // offered, but the connection is encrypted already
  EXPECT_EQ(session.next().kind, Kind::ready);
  EXPECT_EQ(session.transcript().str().find("C: STARTTLS"), std::string::npos);
}

TEST(ClientAuth, ImplicitTlsHandshakeFailureClosesWithoutPlaintext) {
  ClientSessionContext implicit{"relay.example", "smtp.example[127.0.0.1]:465", TlsPolicy::encrypt};
  implicit.implicit_tls = true;
  const auto out = run({greeting}, {&one_message}, Feed::per_reply, std::nullopt, implicit,
                       TlsScript::handshake_fails);
  EXPECT_TRUE(out.closed);
  EXPECT_TRUE(out.wire.empty());
  ASSERT_TRUE(out.connection_failure);
  EXPECT_EQ(out.connection_failure->status.str(), "4.7.5");
}

TEST(ClientAuth, NoTlsMeansNoCredentialsAndA474Deferral) {
  struct Row {
    const char* name;
    std::vector<std::string> replies;
  } rows[] = {
      {"STARTTLS not offered", {greeting, ehlo_plain_only, bye}},
      {"STARTTLS refused", {greeting, ehlo_starttls, "454 4.7.0 TLS not available\r\n", bye}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto out = run(row.replies, {&one_message}, Feed::per_reply, std::nullopt,
                         auth_context(TlsPolicy::may), TlsScript::established);
    EXPECT_TRUE(out.results.empty());
    ASSERT_TRUE(out.connection_failure);
    EXPECT_FALSE(out.connection_failure->is_permanent());
    EXPECT_EQ(out.connection_failure->status.str(), "4.7.4");
    EXPECT_NE(out.connection_failure->reason.find("smtp.example[127.0.0.1]:587"),
              std::string::npos);
    EXPECT_EQ(out.auth, AuthOutcome::needs_tls);
    EXPECT_EQ(out.wire.find("AUTH"), std::string::npos) << out.wire;
    EXPECT_TRUE(out.wire.ends_with("QUIT\r\n"));
    expect_no_secret(out.wire);
  }
}

TEST(ClientAuth, EveryRefusalIsTemporaryAndEndsTheSession) {
  struct Row {
    const char* name;
    std::vector<std::string> replies;
    AuthOutcome outcome;
    const char* status;
  } rows[] = {
      {"535 to PLAIN",
       {greeting, ehlo_plain_only, "535 5.7.8 Authentication credentials invalid\r\n", bye},
       AuthOutcome::refused,
       "4.7.8"},
      {"534 to PLAIN",
       {greeting, ehlo_plain_only, "534 5.7.9 Authentication mechanism is too weak\r\n", bye},
       AuthOutcome::refused,
       "4.7.9"},
      {"538 to PLAIN",
       {greeting, ehlo_plain_only, "538 5.7.11 Encryption required\r\n", bye},
       AuthOutcome::refused,
       "4.7.11"},
      {"454 to PLAIN",
       {greeting, ehlo_plain_only, "454 4.7.0 Temporary authentication failure\r\n", bye},
       AuthOutcome::refused,
       "4.7.0"},
      {"535 to the LOGIN password",
       {greeting, ehlo_login_only, ask_user, ask_password, "535 5.7.8 Bad password\r\n", bye},
       AuthOutcome::refused,
       "4.7.8"},
      {"504 to AUTH LOGIN",
       {greeting, ehlo_login_only, "504 5.5.4 Unrecognized authentication type\r\n", bye},
       AuthOutcome::refused,
       "4.5.4"},
      {"no AUTH offered", {greeting, ehlo_no_auth, bye}, AuthOutcome::unavailable, "4.7.0"},
      {"only CRAM-MD5 offered", {greeting, ehlo_cram_only, bye}, AuthOutcome::unavailable, "4.7.0"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto out = run(row.replies, {&one_message}, Feed::per_reply, std::nullopt,
                         auth_context(TlsPolicy::encrypt, true), TlsScript::established);
    EXPECT_TRUE(out.results.empty());
    EXPECT_EQ(out.auth, row.outcome);
    ASSERT_TRUE(out.connection_failure);
    EXPECT_FALSE(out.connection_failure->is_permanent());
    EXPECT_EQ(out.connection_failure->status.str(), row.status);
    EXPECT_EQ(out.wire.find("MAIL FROM"), std::string::npos);
    EXPECT_TRUE(out.wire.ends_with("QUIT\r\n"));
    expect_no_secret(out.transcript);
  }
}

TEST(ClientAuth, RefusalReasonCarriesTheServersReply) {
  const auto out = run(
      {greeting, ehlo_plain_only, "535 5.7.8 Authentication unsuccessful\r\n", bye}, {&one_message},
      Feed::per_reply, std::nullopt, auth_context(TlsPolicy::verify, true), TlsScript::established);
  ASSERT_TRUE(out.connection_failure);
  EXPECT_NE(out.connection_failure->reason.find(
                "said: 535 5.7.8 Authentication unsuccessful (in reply to AUTH command)"),
            std::string::npos)
      << out.connection_failure->reason;
}

TEST(ClientAuth, FaultAtEveryStepIsACleanTemporaryFailure) {
  for (const auto& script : delivering_scripts()) {
    const auto happy = run_script(script);
    ASSERT_EQ(happy.results.size(), 1u);
    ASSERT_GT(happy.io_steps, 10u);
    const std::size_t final_reply_step = happy.io_steps - 2;
    for (Fault fault : {Fault::eof, Fault::timeout}) {
      for (std::size_t step = 0; step < final_reply_step; ++step) {
        SCOPED_TRACE(std::string(script.name) + (fault == Fault::eof ? " eof" : " timeout") +
                     " at step " + std::to_string(step));
        const auto out = run_script(script, Feed::per_reply, Injection{step, fault});
        EXPECT_TRUE(out.closed);
        EXPECT_FALSE(out.starved);
        const core::Failure* failure = nullptr;
        if (out.results.empty()) {
          ASSERT_TRUE(out.connection_failure);
          failure = &*out.connection_failure;
        } else {
          ASSERT_EQ(out.results.size(), 1u);
          EXPECT_FALSE(out.results[0].delivered(0));
          ASSERT_TRUE(out.results[0].failure);
          failure = &*out.results[0].failure;
        }
        EXPECT_FALSE(failure->is_permanent());
        EXPECT_EQ(failure->status, (core::EnhancedStatus{4, 4, 2}));
        EXPECT_NE(out.auth, AuthOutcome::refused);
        expect_no_secret(out.transcript);
      }
    }
  }
}

TEST(ClientAuth, FeedingByteByByteOrInOneChunkGivesTheSameDialogue) {
  for (const auto& script : delivering_scripts()) {
    SCOPED_TRACE(script.name);
    const auto reference = run_script(script);
    for (Feed feed : {Feed::byte_by_byte}) {
      const auto out = run_script(script, feed);
      EXPECT_EQ(out.wire, reference.wire);
      EXPECT_EQ(out.transcript, reference.transcript);
      ASSERT_EQ(out.results.size(), 1u);
      EXPECT_TRUE(out.results[0].delivered(0));
      EXPECT_EQ(out.auth, AuthOutcome::succeeded);
    }
  }
}

}  // namespace
}  // namespace mxrelay::mta
