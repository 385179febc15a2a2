// tests/mta/mta_sts: the MTA-STS cache file format, the cache folder and its in-memory layer.
#include "mta/mta_sts/policy_cache.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "mta/mta_sts/policy_memory.hpp"

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

TEST_F(PolicyCacheDir, WithAMemoryAFileIsReadOnceAndAStoreUpdatesTheMemory) {
  PolicyMemory memory;
  const PolicyCache cache(root_, &memory);
  EXPECT_FALSE(cache.load("example.org"));
  // The absence is remembered: a file written behind the cache's back is not seen...
  ASSERT_TRUE(PolicyCache(root_).store("example.org", sample()));
  EXPECT_FALSE(cache.load("example.org"));
  // ...until the memory is forgotten (a reload).
  memory.forget_all();
  ASSERT_TRUE(cache.load("Example.org"));
  // Read once: removing the file does not change the answer.
  std::filesystem::remove(root_ / "example.org");
  const auto remembered = cache.load("example.org");
  ASSERT_TRUE(remembered);
  EXPECT_EQ(remembered->id, "id42");
  auto newer = sample();
  newer.id = "id43";
  ASSERT_TRUE(cache.store("example.org", newer));
  EXPECT_EQ(cache.load("example.org")->id, "id43");
  EXPECT_EQ(PolicyCache(root_).load("example.org")->id, "id43");
  EXPECT_EQ(memory.size(), 1u);
}

TEST(PolicyMemory, ForgetsTheLongestRememberedBeyondItsCapacity) {
  PolicyMemory memory(2);
  memory.remember("a.example", sample());
  memory.remember("b.example", std::nullopt);
  memory.remember("a.example", std::nullopt);  // an update, not a new entry
  EXPECT_EQ(memory.size(), 2u);
  memory.remember("c.example", sample());
  EXPECT_EQ(memory.size(), 2u);
  EXPECT_EQ(memory.find("a.example"), nullptr);
  ASSERT_NE(memory.find("b.example"), nullptr);
  EXPECT_FALSE(*memory.find("b.example"));
  ASSERT_NE(memory.find("c.example"), nullptr);
  EXPECT_EQ((*memory.find("c.example"))->id, "id42");
  PolicyMemory none(0);
  none.remember("a.example", sample());
  EXPECT_EQ(none.find("a.example"), nullptr);
}

}  // namespace
}  // namespace mxrelay::mta::sts
