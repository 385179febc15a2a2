// Tests for the client session's STARTTLS step under each TLS policy, the injection check
// after the STARTTLS 220, and the pure TLS policy decisions.
#include <gtest/gtest.h>

#include <string>

#include "mta/protocol/smtp_client_session.hpp"
#include "mta/protocol/tls_policy_rules.hpp"

namespace mxrelay::mta {
namespace {

using Kind = SmtpClientSession::Step::Kind;

const std::string greeting = "220 mx.example ESMTP\r\n";
const std::string ehlo_tls = "250-mx.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n";
const std::string ehlo_plain = "250-mx.example\r\n250 PIPELINING\r\n";
const std::string ready_for_tls = "220 2.0.0 Ready to start TLS\r\n";

SmtpClientSession session_with(TlsPolicy policy) {
  return SmtpClientSession({"relay.example", "mx.example[127.0.0.1]", policy});
}

// Feeds the greeting and the EHLO reply; returns the step that follows.
SmtpClientSession::Step after_ehlo(SmtpClientSession& session, const std::string& ehlo_reply) {
  EXPECT_EQ(session.next().kind, Kind::need_input);
  session.on_input(greeting);
  EXPECT_EQ(session.next().bytes, "EHLO relay.example\r\n");
  EXPECT_EQ(session.next().kind, Kind::need_input);
  session.on_input(ehlo_reply);
  return session.next();
}

TEST(TlsPolicy, DecisionTable) {
  struct Row {
    TlsPolicy policy;
    bool offered;
    TlsAction action;
    std::string status;  // of the failure, "" when none
  };
  const Row rows[] = {
      {TlsPolicy::none, true, TlsAction::plaintext, ""},
      {TlsPolicy::none, false, TlsAction::plaintext, ""},
      {TlsPolicy::may, true, TlsAction::start_tls, ""},
      {TlsPolicy::may, false, TlsAction::plaintext, ""},
      {TlsPolicy::encrypt, true, TlsAction::start_tls, ""},
      {TlsPolicy::encrypt, false, TlsAction::refuse, "4.7.4"},
      {TlsPolicy::verify, true, TlsAction::start_tls, ""},
      {TlsPolicy::verify, false, TlsAction::refuse, "4.7.4"},
      {TlsPolicy::dane, true, TlsAction::refuse, "4.7.5"},
      {TlsPolicy::dane_only, false, TlsAction::refuse, "4.7.5"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(to_string(row.policy)) + (row.offered ? " offered" : " absent"));
    const auto decision = decide_tls(row.policy, row.offered, "mx.example[127.0.0.1]");
    EXPECT_EQ(decision.action, row.action);
    EXPECT_EQ(decision.failure ? decision.failure->status.str() : "", row.status);
    if (decision.failure) {
      EXPECT_FALSE(decision.failure->is_permanent());
    }
  }
  EXPECT_TRUE(plaintext_retry_allowed(TlsPolicy::may));
  EXPECT_FALSE(plaintext_retry_allowed(TlsPolicy::encrypt));
  EXPECT_FALSE(plaintext_retry_allowed(TlsPolicy::verify));
  EXPECT_TRUE(certificate_must_verify(TlsPolicy::verify));
  EXPECT_FALSE(certificate_must_verify(TlsPolicy::encrypt));
}

TEST(SmtpClientTls, StartsTlsWhenOfferedAndSaysEhloAgain) {
  auto session = session_with(TlsPolicy::may);
  const auto step = after_ehlo(session, ehlo_tls);
  ASSERT_EQ(step.kind, Kind::send);
  EXPECT_EQ(step.bytes, "STARTTLS\r\n");
  EXPECT_EQ(session.next().kind, Kind::need_input);
  session.on_input(ready_for_tls);
  ASSERT_EQ(session.next().kind, Kind::start_tls);
  ASSERT_TRUE(session.begin_tls(0));
  session.on_tls_established("TLSv1.3 TLS_AES_256_GCM_SHA384");
  EXPECT_TRUE(session.tls_active());
  EXPECT_FALSE(session.capabilities().pipelining);  // forgotten until the new EHLO reply
  EXPECT_EQ(session.next().bytes, "EHLO relay.example\r\n");
  EXPECT_EQ(session.next().kind, Kind::need_input);
  session.on_input(ehlo_tls);  // STARTTLS offered again: not used twice
  EXPECT_EQ(session.next().kind, Kind::ready);
  EXPECT_TRUE(session.capabilities().pipelining);
  EXPECT_NE(session.transcript().str().find("C: <TLS TLSv1.3 TLS_AES_256_GCM_SHA384>\n"),
            std::string::npos);
}

TEST(SmtpClientTls, MayContinuesInPlaintextWithoutStarttls) {
  auto session = session_with(TlsPolicy::may);
  EXPECT_EQ(after_ehlo(session, ehlo_plain).kind, Kind::ready);
  EXPECT_FALSE(session.tls_active());
}

TEST(SmtpClientTls, RequiredTlsNotOfferedQuitsWithTemporaryFailure) {
  for (auto policy : {TlsPolicy::encrypt, TlsPolicy::verify}) {
    auto session = session_with(policy);
    const auto step = after_ehlo(session, ehlo_plain);
    ASSERT_EQ(step.kind, Kind::send);
    EXPECT_EQ(step.bytes, "QUIT\r\n");
    ASSERT_TRUE(session.connection_failure());
    EXPECT_EQ(session.connection_failure()->str(),
              "451 4.7.4 TLS is required, but STARTTLS was not offered by host "
              "mx.example[127.0.0.1]");
  }
}

TEST(SmtpClientTls, RefusedStarttlsDependsOnPolicy) {
  auto opportunistic = session_with(TlsPolicy::may);
  after_ehlo(opportunistic, ehlo_tls);
  opportunistic.next();
  opportunistic.on_input("454 4.7.0 TLS not available\r\n");
  EXPECT_EQ(opportunistic.next().kind, Kind::ready);

  auto required = session_with(TlsPolicy::encrypt);
  after_ehlo(required, ehlo_tls);
  required.next();
  required.on_input("454 4.7.0 TLS not available\r\n");
  EXPECT_EQ(required.next().bytes, "QUIT\r\n");
  ASSERT_TRUE(required.connection_failure());
  EXPECT_EQ(required.connection_failure()->status.str(), "4.7.4");
}

TEST(SmtpClientTls, BytesAfterThe220InTheSameReadAbortWithoutHandshake) {
  auto session = session_with(TlsPolicy::may);
  after_ehlo(session, ehlo_tls);
  session.next();
  session.on_input(ready_for_tls + "250 injected\r\n");
  EXPECT_EQ(session.next().kind, Kind::closed);
  ASSERT_TRUE(session.connection_failure());
  EXPECT_EQ(session.connection_failure()->status.str(), "4.7.0");
  EXPECT_FALSE(session.tls_failed());
}

TEST(SmtpClientTls, BytesWaitingAtTheDriverAbortBeforeHandshake) {
  auto session = session_with(TlsPolicy::encrypt);
  after_ehlo(session, ehlo_tls);
  session.next();
  session.on_input(ready_for_tls);
  ASSERT_EQ(session.next().kind, Kind::start_tls);
  EXPECT_FALSE(session.begin_tls(14));
  EXPECT_EQ(session.next().kind, Kind::closed);
  ASSERT_TRUE(session.connection_failure());
  EXPECT_NE(session.connection_failure()->reason.find("before the TLS handshake"),
            std::string::npos);
}

TEST(SmtpClientTls, HandshakeFailureClosesWith475) {
  auto session = session_with(TlsPolicy::may);
  after_ehlo(session, ehlo_tls);
  session.next();
  session.on_input(ready_for_tls);
  ASSERT_EQ(session.next().kind, Kind::start_tls);
  ASSERT_TRUE(session.begin_tls(0));
  session.on_tls_failed("certificate verify failed");
  EXPECT_EQ(session.next().kind, Kind::closed);
  EXPECT_TRUE(session.tls_failed());
  EXPECT_EQ(session.connection_failure()->str(),
            "451 4.7.5 TLS handshake with host mx.example[127.0.0.1] failed: certificate verify "
            "failed");
}

TEST(SmtpClientTls, EofOrTimeoutInjectedAtEveryStepEndsTheSession) {
  for (int fault_at = 0; fault_at < 8; ++fault_at) {
    for (bool timeout : {false, true}) {
      SCOPED_TRACE(std::to_string(fault_at) + (timeout ? " timeout" : " eof"));
      auto session = session_with(TlsPolicy::encrypt);
      const std::string script[] = {greeting, ehlo_tls, ready_for_tls, ehlo_tls};
      std::size_t input = 0;
      int io_step = 0;
      bool finished = false;
      for (int guard = 0; guard < 100 && !finished; ++guard) {
        const auto step = session.next();
        if ((step.kind == Kind::send || step.kind == Kind::need_input) && io_step++ == fault_at) {
          timeout ? session.on_timeout() : session.on_eof();
          continue;
        }
        switch (step.kind) {
          case Kind::need_input:
            if (input < std::size(script))
              session.on_input(script[input++]);
            else
              session.on_eof();
            break;
          case Kind::start_tls:
            session.begin_tls(0);
            session.on_tls_established("test");
            break;
          case Kind::ready:
            session.quit();
            break;
          case Kind::closed:
            finished = true;
            break;
          default:
            break;
        }
      }
      EXPECT_TRUE(finished);
      if (fault_at < 7) {
        EXPECT_TRUE(session.connection_failure());
      }
    }
  }
}

}  // namespace
}  // namespace mxrelay::mta
