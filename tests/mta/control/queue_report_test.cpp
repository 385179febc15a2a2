// Tests for the queue management wire format and its mailq/postcat-style text.
#include "mta/control/queue_report.hpp"

#include <gtest/gtest.h>

namespace mxrelay::mta {
namespace {

QueueEntryView sample_view() {
  QueueEntryView v;
  v.id = "00061A2B3C4D5E6F";
  v.arrival_unix = 1764081322;  // Tue Nov 25 14:35:22 2025 UTC
  v.size = 2048;
  v.sender = "alice@corp.example";
  v.recipients = {{"bob@outlook.com", queue::RecipientState::pending},
                  {"carol@example.org", queue::RecipientState::delivered}};
  v.attempts = 2;
  v.next_attempt_unix = 1764081922;
  v.last_error = "451 4.4.3 MX lookup failed";
  return v;
}

TEST(QueueReport, ListLooksLikeMailqAndShowsOnlyPendingRecipients) {
  boost::json::array entries{to_json(sample_view())};
  auto text = render_queue_list(entries);
  EXPECT_NE(text.find("-Queue ID-"), std::string::npos);
  EXPECT_NE(text.find("00061A2B3C4D5E6F      2048 Tue Nov 25 14:35:22   alice@corp.example"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  (451 4.4.3 MX lookup failed)\n"), std::string::npos);
  EXPECT_NE(text.find("bob@outlook.com"), std::string::npos);
  EXPECT_EQ(text.find("carol@example.org"), std::string::npos);
  EXPECT_NE(text.find("-- 2 Kbytes in 1 Request."), std::string::npos);
  EXPECT_EQ(render_queue_list(boost::json::array{}), "Mail queue is empty\n");
}

TEST(QueueReport, HeldAndNullSenderMarkers) {
  auto view = sample_view();
  view.held = true;
  view.sender = "";
  auto text = render_queue_list(boost::json::array{to_json(view)});
  EXPECT_NE(text.find("00061A2B3C4D5E6F!"), std::string::npos);
  EXPECT_NE(text.find("MAILER-DAEMON"), std::string::npos);
}

TEST(QueueReport, ShowHasEnvelopeStateHeadersAndEscapedTranscript) {
  QueueEntryDetail detail;
  detail.view = sample_view();
  detail.client_address = "127.0.0.1";
  detail.helo = "domino.corp.example";
  detail.headers = "Subject: quarterly report\r\nX-Odd: a\rb\r\n";
  detail.transcript = "C: RCPT TO:<bob@outlook.com>\nS: 550 5.7.1 \x1b[31mno\n";
  auto text = render_queue_entry(to_json(detail));
  EXPECT_NE(text.find("queue_id: 00061A2B3C4D5E6F\n"), std::string::npos);
  EXPECT_NE(text.find("client: [127.0.0.1] helo=domino.corp.example\n"), std::string::npos);
  EXPECT_NE(text.find("recipient: <bob@outlook.com> pending\n"), std::string::npos);
  EXPECT_NE(text.find("recipient: <carol@example.org> delivered\n"), std::string::npos);
  EXPECT_NE(text.find("attempts: 2\n"), std::string::npos);
  EXPECT_NE(text.find("Subject: quarterly report\nX-Odd: a\\x0db\n"), std::string::npos) << text;
  EXPECT_NE(text.find("S: 550 5.7.1 \\x1b[31mno"), std::string::npos) << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.find("requiretls:"), std::string::npos);
  detail.require_tls = true;
  EXPECT_NE(render_queue_entry(to_json(detail)).find("\nrequiretls: yes"), std::string::npos);
}

}  // namespace
}  // namespace mxrelay::mta
