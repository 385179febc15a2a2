// Tests for reading EHLO keywords into PeerCapabilities.
#include "mta/protocol/smtp_capabilities.hpp"

#include <gtest/gtest.h>

namespace mxrelay::mta {
namespace {

TEST(PeerCapabilities, ReadsEveryKnownKeyword) {
  const SmtpReply ehlo{
      250,
      std::nullopt,
      {"mx.example Hello", "pipelining", "SIZE 10240000", "8BITMIME", "SMTPUTF8", "STARTTLS",
       "CHUNKING", "DSN", "ENHANCEDSTATUSCODES", "AUTH PLAIN login", "X-UNKNOWN whatever"}};
  const auto caps = PeerCapabilities::from_ehlo_reply(ehlo);
  EXPECT_TRUE(caps.esmtp);
  EXPECT_TRUE(caps.pipelining);
  EXPECT_TRUE(caps.size_offered);
  EXPECT_EQ(caps.size_limit, 10240000u);
  EXPECT_TRUE(caps.eight_bit_mime);
  EXPECT_TRUE(caps.smtputf8);
  EXPECT_TRUE(caps.starttls);
  EXPECT_TRUE(caps.chunking);
  EXPECT_TRUE(caps.dsn);
  EXPECT_TRUE(caps.enhanced_status_codes);
  EXPECT_EQ(caps.auth_mechanisms, (std::vector<std::string>{"PLAIN", "LOGIN"}));
  EXPECT_FALSE(caps.accepts_size(10240001));
  EXPECT_TRUE(caps.accepts_size(10240000));
}

TEST(PeerCapabilities, FirstLineIsNeverAKeyword) {
  const auto caps = PeerCapabilities::from_ehlo_reply({250, std::nullopt, {"PIPELINING"}});
  EXPECT_FALSE(caps.pipelining);
}

TEST(PeerCapabilities, SizeWithoutLimitAcceptsAnything) {
  const auto caps = PeerCapabilities::from_ehlo_reply({250, std::nullopt, {"mx", "SIZE"}});
  EXPECT_TRUE(caps.size_offered);
  EXPECT_TRUE(caps.accepts_size(1ull << 40));
}

TEST(PeerCapabilities, ReadsLegacyAuthEqualsForm) {
  const auto caps =
      PeerCapabilities::from_ehlo_reply({250, std::nullopt, {"mx", "AUTH=LOGIN PLAIN"}});
  EXPECT_EQ(caps.auth_mechanisms, (std::vector<std::string>{"LOGIN", "PLAIN"}));
}

}  // namespace
}  // namespace mxrelay::mta
