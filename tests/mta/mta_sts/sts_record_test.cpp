// tests/mta/mta_sts: the _mta-sts TXT record (RFC 8461 3.1).
#include "mta/mta_sts/sts_record.hpp"

#include <gtest/gtest.h>

namespace mxrelay::mta::sts {
namespace {

TEST(StsRecord, GivesTheIdOfTheOneStsv1Record) {
  const auto id = policy_id_of({"v=spf1 -all", "v=STSv1; id=20160831085700Z;"});
  ASSERT_TRUE(id) << id.error();
  EXPECT_EQ(*id, "20160831085700Z");
}

TEST(StsRecord, AcceptsSpacesAndNoFinalSemicolonAndUnknownFields) {
  const auto id = policy_id_of({"v=STSv1;  id=abc123 ; ext=1"});
  ASSERT_TRUE(id) << id.error();
  EXPECT_EQ(*id, "abc123");
}

struct Broken {
  std::vector<std::string> texts;
  const char* error;
};

class BrokenRecord : public testing::TestWithParam<Broken> {};

TEST_P(BrokenRecord, GivesNoId) {
  const auto id = policy_id_of(GetParam().texts);
  ASSERT_FALSE(id);
  EXPECT_NE(id.error().find(GetParam().error), std::string::npos) << id.error();
}

INSTANTIATE_TEST_SUITE_P(
    Rfc8461, BrokenRecord,
    testing::Values(Broken{{}, "no v=STSv1"}, Broken{{"v=spf1 -all"}, "no v=STSv1"},
                    Broken{{"v=STSv1; id=1;", "v=STSv1; id=2;"}, "more than one"},
                    Broken{{"v=STSv1;"}, "no id"}, Broken{{"v=STSv1; id=has-dash;"}, "invalid id"},
                    Broken{{"v=STSv1; id=123456789012345678901234567890123;"}, "invalid id"},
                    Broken{{"v=STSv1; id=1; id=2"}, "twice"},
                    Broken{{"v=STSv10; id=1"}, "v=STSv1"}));

}  // namespace
}  // namespace mxrelay::mta::sts
