// tests/mta/doctor: DMARC records (RFC 7489 6.3): the tags doctor reports and the errors of
// malformed records.
#include "mta/doctor/dmarc_record.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mxrelay::mta::doctor {
namespace {

TEST(DmarcRecord, Tags) {
  auto record = parse_dmarc_record(
      "v=DMARC1; p=reject; sp=quarantine; adkim=s; aspf=r; pct=50; "
      "rua=mailto:a@example.org, mailto:b@example.org; fo=1");
  ASSERT_TRUE(record) << record.error();
  EXPECT_EQ(record->policy, "reject");
  EXPECT_EQ(record->subdomain_policy, "quarantine");
  EXPECT_EQ(record->adkim, 's');
  EXPECT_EQ(record->aspf, 'r');
  EXPECT_EQ(record->pct, 50u);
  EXPECT_EQ(record->rua,
            (std::vector<std::string>{"mailto:a@example.org", "mailto:b@example.org"}));
  auto defaults = parse_dmarc_record("v=DMARC1;p=none");
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->adkim, 'r');
  EXPECT_EQ(defaults->pct, 100u);
  EXPECT_TRUE(defaults->rua.empty());
}

TEST(DmarcRecord, Errors) {
  struct Row {
    const char* text;
    const char* error;
  };
  for (const auto& row : std::vector<Row>{
           {"v=spf1 -all", "does not start with v=DMARC1"},
           {"p=reject; v=DMARC1", "does not start with v=DMARC1"},
           {"v=DMARC1; rua=mailto:a@example.org; p=none", "p= must follow v=DMARC1"},
           {"v=DMARC1", "no p= tag"},
           {"v=DMARC1; p=block", "must be none, quarantine or reject"},
           {"v=DMARC1; p=none; sp=x", "must be none, quarantine or reject"},
           {"v=DMARC1; p=none; adkim=x", "adkim=x: must be r or s"},
           {"v=DMARC1; p=none; pct=101", "pct=101: must be 0..100"},
           {"v=DMARC1; p=none; junk", "is not tag=value"},
       }) {
    auto record = parse_dmarc_record(row.text);
    ASSERT_FALSE(record) << row.text;
    EXPECT_NE(record.error().find(row.error), std::string::npos)
        << row.text << ": " << record.error();
  }
}

}  // namespace
}  // namespace mxrelay::mta::doctor
