// tests/mta/mta_sts: which step the policy lookup takes from the TXT id and the cache.
#include "mta/mta_sts/policy_source.hpp"

#include <gtest/gtest.h>

namespace mxrelay::mta::sts {
namespace {

constexpr std::int64_t kFetched = 1000;

std::optional<CachedPolicy> cached(std::string id, std::uint32_t max_age) {
  return CachedPolicy{std::move(id), kFetched, "", Policy{Mode::enforce, {"mx.example"}, max_age}};
}

std::expected<std::string, std::string> no_record() {
  return std::unexpected(std::string("no _mta-sts TXT record"));
}

struct Case {
  const char* name;
  std::expected<std::string, std::string> txt;
  std::optional<CachedPolicy> cache;
  std::int64_t now;
  Step step;
};

class LookupStep : public testing::TestWithParam<Case> {};

TEST_P(LookupStep, FollowsRfc8461Sections33And51) {
  EXPECT_EQ(next_step(GetParam().txt, GetParam().cache, GetParam().now), GetParam().step)
      << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(
    Rfc8461, LookupStep,
    testing::Values(Case{"first sight", "a1", std::nullopt, kFetched, Step::fetch},
                    Case{"same id, fresh", "a1", cached("a1", 60), kFetched + 59, Step::use_cache},
                    Case{"same id, expired", "a1", cached("a1", 60), kFetched + 60, Step::fetch},
                    Case{"id changed", "b2", cached("a1", 60), kFetched + 1, Step::fetch},
                    Case{"no record, fresh cache", no_record(), cached("a1", 60), kFetched + 1,
                         Step::use_cache},
                    Case{"no record, expired cache", no_record(), cached("a1", 60), kFetched + 61,
                         Step::no_policy},
                    Case{"no record, no cache", no_record(), std::nullopt, kFetched,
                         Step::no_policy}));

TEST(Origin, HasTheNamesRouteShows) {
  EXPECT_EQ(to_string(Origin::cache), "cache");
  EXPECT_EQ(to_string(Origin::fetch), "fetch");
  EXPECT_EQ(to_string(Origin::none), "none");
}

}  // namespace
}  // namespace mxrelay::mta::sts
