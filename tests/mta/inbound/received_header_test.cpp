// Tests for the Received: trace header and RFC 5322 dates.
#include "mta/inbound/received_header.hpp"

#include <gtest/gtest.h>

namespace mxrelay::mta {
namespace {

TEST(ReceivedHeader, SingleRecipientHasForClause) {
  auto when = std::chrono::system_clock::time_point(std::chrono::seconds(1795617322));
  auto header = received_header({.helo = "domino.corp.example",
                                 .client_ip = "127.0.0.1",
                                 .our_hostname = "relay.example.net",
                                 .protocol = "ESMTP",
                                 .queue_id = "00061A2B3C4D5E6F",
                                 .recipient = "bob@outlook.com",
                                 .when = when});
  EXPECT_EQ(header,
            "Received: from domino.corp.example ([127.0.0.1])\r\n"
            "\tby relay.example.net (mxrelay) with ESMTP id 00061A2B3C4D5E6F\r\n"
            "\tfor <bob@outlook.com>; Wed, 25 Nov 2026 14:35:22 +0000\r\n");
}

TEST(ReceivedHeader, ManyRecipientsAndNoHelo) {
  auto header = received_header({.helo = "",
                                 .client_ip = "::1",
                                 .our_hostname = "relay.example.net",
                                 .protocol = "SMTP",
                                 .queue_id = "X",
                                 .recipient = "",
                                 .when = std::chrono::system_clock::time_point()});
  EXPECT_EQ(header,
            "Received: from unknown ([::1])\r\n"
            "\tby relay.example.net (mxrelay) with SMTP id X; Thu, 1 Jan 1970 00:00:00 +0000\r\n");
}

}  // namespace
}  // namespace mxrelay::mta
