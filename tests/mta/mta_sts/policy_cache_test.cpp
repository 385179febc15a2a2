// tests/mta/mta_sts: the MTA-STS cache file format and the cache folder.
#include "mta/mta_sts/policy_cache.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace mxrelay::mta::sts {
namespace {

constexpr std::string_view kBody =
    "version: STSv1\r\nmode: enforce\r\nmx: mx.example.org\r\nmax_age: 600\r\n";

CachedPolicy sample() {
  return {"id42", 1700000000, std::string(kBody), *parse_policy(kBody)};
}

TEST(PolicyCacheFormat, RoundTripsIdFetchTimeAndBody) {
  const auto decoded = decode_cached(encode_cached(sample()));
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_EQ(decoded->id, "id42");
  EXPECT_EQ(decoded->fetched_at, 1700000000);
  EXPECT_EQ(decoded->body, kBody);
  EXPECT_EQ(decoded->policy.mx, std::vector<std::string>{"mx.example.org"});
  EXPECT_EQ(decoded->expires_at(), 1700000600);
  EXPECT_TRUE(decoded->fresh_at(1700000599));
  EXPECT_FALSE(decoded->fresh_at(1700000600));
}

TEST(PolicyCacheFormat, RefusesOtherFilesAndBrokenHeadersAndBodies) {
  EXPECT_FALSE(decode_cached("version: STSv1\n"));
  EXPECT_FALSE(decode_cached("mxrelay-mta-sts 1\nid x\n\nversion: STSv1\n"));
  EXPECT_FALSE(decode_cached("mxrelay-mta-sts 1\nid x\nfetched 12a\n\n" + std::string(kBody)));
  EXPECT_FALSE(decode_cached("mxrelay-mta-sts 1\nid x\nfetched 12\n\nversion: STSv1\n"));
}

class PolicyCacheDir : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/mxrelay-sts-cache-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::filesystem::path root_;
};

TEST_F(PolicyCacheDir, StoresAndLoadsByDomainCreatingTheFolder) {
  const PolicyCache cache(root_ / "mta-sts");
  EXPECT_FALSE(cache.load("example.org"));
  ASSERT_TRUE(cache.store("example.org", sample()));
  const auto loaded = PolicyCache(root_ / "mta-sts").load("Example.ORG");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->id, "id42");
  EXPECT_FALSE(std::filesystem::exists(root_ / "mta-sts" / "example.org.tmp"));
}

TEST_F(PolicyCacheDir, AnUndecodableFileIsNoPolicyAndABadNameIsRefused) {
  const PolicyCache cache(root_);
  std::ofstream(root_ / "example.org") << "garbage";
  EXPECT_FALSE(cache.load("example.org"));
  EXPECT_FALSE(cache.store("../escape", sample()));
  EXPECT_FALSE(cache.load("../escape"));
}

}  // namespace
}  // namespace mxrelay::mta::sts
