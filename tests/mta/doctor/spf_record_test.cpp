// tests/mta/doctor: SPF record syntax (RFC 7208 4.5, 5, 6): which texts are SPF records,
// the terms a valid record yields, and the errors (permerror) of malformed ones.
#include "mta/doctor/spf_record.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mxrelay::mta::doctor {
namespace {

TEST(SpfRecord, Recognition) {
  EXPECT_TRUE(is_spf_record("v=spf1"));
  EXPECT_TRUE(is_spf_record("V=SPF1 -all"));
  EXPECT_FALSE(is_spf_record("v=spf10 -all"));
  EXPECT_FALSE(is_spf_record("v=DKIM1; p=abc"));
  EXPECT_FALSE(is_spf_record("spf1"));
}

TEST(SpfRecord, ValidTerms) {
  auto record = parse_spf_record(
      "v=spf1 ip4:192.0.2.0/24 -ip6:2001:db8::/32 ~a a:mail.%{d}/24//64 mx/28 ?ptr "
      "include:_spf.example exists:%{i}.bl.example redirect=other.example exp=why.example "
      "unknown-mod=x -all");
  ASSERT_TRUE(record) << record.error();
  ASSERT_EQ(record->mechanisms.size(), 9u);
  const auto& m = record->mechanisms;
  EXPECT_EQ(m[0].kind, SpfMechanismKind::ip4);
  EXPECT_TRUE(m[0].network->contains(*core::IpAddress::parse("192.0.2.77")));
  EXPECT_EQ(m[1].qualifier, SpfQualifier::fail);
  EXPECT_EQ(m[1].kind, SpfMechanismKind::ip6);
  EXPECT_EQ(m[2].qualifier, SpfQualifier::softfail);
  EXPECT_EQ(m[2].domain_spec, "");
  EXPECT_EQ(m[3].domain_spec, "mail.%{d}");
  EXPECT_EQ(m[3].cidr4, 24u);
  EXPECT_EQ(m[3].cidr6, 64u);
  EXPECT_EQ(m[4].kind, SpfMechanismKind::mx);
  EXPECT_EQ(m[4].cidr4, 28u);
  EXPECT_EQ(m[5].qualifier, SpfQualifier::neutral);
  EXPECT_EQ(m[5].kind, SpfMechanismKind::ptr);
  EXPECT_EQ(m[6].domain_spec, "_spf.example");
  EXPECT_EQ(m[7].domain_spec, "%{i}.bl.example");
  EXPECT_EQ(m[8].kind, SpfMechanismKind::all);
  EXPECT_EQ(m[8].text, "-all");
  EXPECT_EQ(record->redirect, "other.example");
  EXPECT_EQ(record->exp, "why.example");
}

TEST(SpfRecord, MacroDelimiterSlashIsNotACidr) {
  auto record = parse_spf_record("v=spf1 a:%{ir/}.example/24");
  ASSERT_TRUE(record) << record.error();
  EXPECT_EQ(record->mechanisms[0].domain_spec, "%{ir/}.example");
  EXPECT_EQ(record->mechanisms[0].cidr4, 24u);
}

TEST(SpfRecord, Errors) {
  struct Row {
    const char* text;
    const char* error;  // a part of the message
  };
  for (const auto& row : std::vector<Row>{
           {"v=spf2 -all", "not an SPF record"},
           {"v=spf1 foo -all", "unknown mechanism \"foo\""},
           {"v=spf1 ip4:300.1.1.1", "malformed term"},
           {"v=spf1 ip4:2001:db8::1", "malformed term"},
           {"v=spf1 ip6:192.0.2.1", "malformed term"},
           {"v=spf1 ip4:192.0.2.1/33", "malformed term"},
           {"v=spf1 a/33", "malformed term"},
           {"v=spf1 a//129", "malformed term"},
           {"v=spf1 a:", "malformed term"},
           {"v=spf1 include", "malformed term"},
           {"v=spf1 all:x", "malformed term"},
           {"v=spf1 redirect=a.example redirect=b.example", "more than one redirect="},
           {"v=spf1 redirect=", "redirect= without a domain"},
       }) {
    auto record = parse_spf_record(row.text);
    ASSERT_FALSE(record) << row.text;
    EXPECT_NE(record.error().find(row.error), std::string::npos)
        << row.text << ": " << record.error();
  }
}

}  // namespace
}  // namespace mxrelay::mta::doctor
