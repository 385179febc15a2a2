// tests/mta/protocol: REQUIRETLS (RFC 8689) in both sessions. The client sends a REQUIRETLS
// message only over verified TLS to a server that offers REQUIRETLS, with the MAIL parameter,
// and fails it for good with 5.7.30 otherwise (marking the next hop unqualified, so that the
// delivery tries the next MX host); "TLS-Required: No" is read from the header.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "mta/protocol/smtp_client_session.hpp"
#include "mta/protocol/tls_required_header.hpp"

namespace mxrelay::mta {
namespace {

using Kind = SmtpClientSession::Step::Kind;

const std::string body = "Subject: secret\r\n\r\nhello\r\n";

struct Outcome {
  std::string sent;  // the transaction's first bytes (MAIL ...), "" when none went out
  std::optional<core::Failure> failure;
  bool next_hop_unqualified = false;
};

// Greeting, EHLO, STARTTLS when `tls` (the handshake verified or not by `policy`), EHLO
// again with `keywords`, then one REQUIRETLS message.
Outcome run(TlsPolicy policy, bool tls, const std::string& keywords) {
  SmtpClientSession session({"relay.example", "mx.example[127.0.0.1]", policy});
  session.next();
  session.on_input("220 mx.example ESMTP\r\n");
  session.next();
  session.next();
  session.on_input("250-mx.example\r\n250-PIPELINING\r\n" +
                   std::string(tls ? "250-STARTTLS\r\n" : "") + keywords);
  auto step = session.next();
  if (tls) {
    EXPECT_EQ(step.bytes, "STARTTLS\r\n");
    session.next();
    session.on_input("220 2.0.0 Ready\r\n");
    EXPECT_EQ(session.next().kind, Kind::start_tls);
    EXPECT_TRUE(session.begin_tls(0));
    session.on_tls_established("TLSv1.3 test");
    session.next();
    session.next();
    session.on_input("250-mx.example\r\n250-PIPELINING\r\n" + keywords);
    step = session.next();
  }
  EXPECT_EQ(step.kind, Kind::ready);
  OutboundMessage message;
  message.sender = "s@relay.example";
  message.recipients = {"a@dest.example"};
  message.data = &body;
  message.require_tls = true;
  session.start_message(message);
  step = session.next();
  if (step.kind == Kind::message_done) {
    auto result = session.take_result();
    return {"", result.failure, result.next_hop_unqualified};
  }
  return {std::string(step.bytes), std::nullopt, false};
}

TEST(RequireTls, OnlyOverVerifiedTlsToAServerThatOffersIt) {
  const auto sent = run(TlsPolicy::verify, true, "250 REQUIRETLS\r\n");
  EXPECT_TRUE(sent.sent.starts_with("MAIL FROM:<s@relay.example> REQUIRETLS\r\n")) << sent.sent;

  struct Row {
    const char* name;
    TlsPolicy policy;
    bool tls;
    const char* keywords;
    const char* reason;
  };
  const std::vector<Row> rows = {
      {"not offered", TlsPolicy::verify, true, "250 8BITMIME\r\n", "does not offer"},
      {"unverified TLS", TlsPolicy::encrypt, true, "250 REQUIRETLS\r\n", "no verified TLS"},
      {"no TLS", TlsPolicy::may, false, "250 REQUIRETLS\r\n", "no verified TLS"},
  };
  for (const auto& row : rows) {
    const auto refused = run(row.policy, row.tls, row.keywords);
    ASSERT_TRUE(refused.failure) << row.name;
    EXPECT_TRUE(refused.failure->is_permanent()) << row.name;
    EXPECT_EQ(refused.failure->status.str(), "5.7.30") << row.name;
    EXPECT_TRUE(refused.next_hop_unqualified) << row.name;
    EXPECT_NE(refused.failure->reason.find(row.reason), std::string::npos)
        << row.name << ": " << refused.failure->reason;
  }
}

TEST(RequireTls, TlsRequiredNoIsReadFromTheHeaderOnly) {
  struct Row {
    const char* message;
    bool relaxed;
  };
  const std::vector<Row> rows = {
      {"Subject: x\r\nTLS-Required: No\r\n\r\nbody\r\n", true},
      {"tls-required:   no  \r\n\r\nbody\r\n", true},
      {"TLS-Required: Yes\r\n\r\nbody\r\n", false},
      {"Subject: x\r\n\r\nTLS-Required: No\r\n", false},  // in the body
      {"X-TLS-Required: No\r\n\r\n", false},
      {"", false},
  };
  for (const auto& row : rows) EXPECT_EQ(tls_required_no(row.message), row.relaxed) << row.message;
}

}  // namespace
}  // namespace mxrelay::mta
