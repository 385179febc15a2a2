// tests/mta/tls_report: the _smtp._tls record (RFC 8460 section 3) and its rua URIs.
#include "mta/tls_report/tlsrpt_record.hpp"

#include <gtest/gtest.h>

namespace mxrelay::mta::tlsrpt {
namespace {

TEST(TlsrptRecord, GivesTheRuaOfTheOneRecord) {
  const auto rua = parse_tlsrpt_record(
      {"v=spf1 -all", "v=TLSRPTv1; rua=mailto:tls@example.com, https://r.example.com/x ;ext=1"});
  ASSERT_TRUE(rua) << rua.error();
  EXPECT_EQ(*rua, (std::vector<std::string>{"mailto:tls@example.com", "https://r.example.com/x"}));
}

struct Broken {
  std::vector<std::string> texts;
  const char* error;
};

class BrokenRecord : public testing::TestWithParam<Broken> {};

TEST_P(BrokenRecord, TakesNoReports) {
  const auto rua = parse_tlsrpt_record(GetParam().texts);
  ASSERT_FALSE(rua);
  EXPECT_NE(rua.error().find(GetParam().error), std::string::npos) << rua.error();
}

INSTANTIATE_TEST_SUITE_P(
    Rfc8460, BrokenRecord,
    testing::Values(Broken{{}, "no v=TLSRPTv1"}, Broken{{"v=spf1 -all"}, "no v=TLSRPTv1"},
                    Broken{{"v=TLSRPTv2; rua=mailto:a@b.example"}, "no v=TLSRPTv1"},
                    Broken{{"v=TLSRPTv1; rua=mailto:a@b.example",
                            "v=TLSRPTv1; rua=mailto:c@d.example"},
                           "one is allowed"},
                    Broken{{"v=TLSRPTv1;"}, "no rua"}, Broken{{"v=TLSRPTv1; rua="}, "no rua"}));

TEST(Rua, Mailto) {
  const auto rua = parse_rua("mailto:TLS-Reports@Example.COM?subject=x");
  ASSERT_TRUE(rua);
  EXPECT_EQ(rua->kind, Rua::Kind::mailto);
  EXPECT_EQ(rua->address, "TLS-Reports@example.com");
}

TEST(Rua, HttpsWithPortAndPath) {
  const auto rua = parse_rua("https://reports.example.com:8443/tlsrpt/v1?a=b");
  ASSERT_TRUE(rua);
  EXPECT_EQ(rua->kind, Rua::Kind::https);
  EXPECT_EQ(rua->host, "reports.example.com");
  EXPECT_EQ(rua->port, 8443);
  EXPECT_EQ(rua->target, "/tlsrpt/v1?a=b");
}

TEST(Rua, HttpsDefaultsAndIpv6) {
  auto rua = parse_rua("https://reports.example.com");
  ASSERT_TRUE(rua);
  EXPECT_EQ(rua->port, 443);
  EXPECT_EQ(rua->target, "/");
  rua = parse_rua("https://[::1]:9443/r");
  ASSERT_TRUE(rua);
  EXPECT_EQ(rua->host, "::1");
  EXPECT_EQ(rua->port, 9443);
}

TEST(Rua, RefusesWhatItCannotUse) {
  for (const char* uri :
       {"http://reports.example.com/", "ftp://x", "mailto:not-an-address", "https://:443/",
        "https://host:0/", "https://host:70000/", "https://user@host/", "https://[::1/"})
    EXPECT_FALSE(parse_rua(uri)) << uri;
}

}  // namespace
}  // namespace mxrelay::mta::tlsrpt
