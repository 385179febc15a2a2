// tests/mta/tls_report: counting, closing a period, the failure-detail cap, the store's JSON
// round trip, and its file (durable save, a corrupt file set aside, never fatal).
#include "mta/tls_report/report_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "mta/tls_report/store_file.hpp"

namespace mxrelay::mta::tlsrpt {
namespace {

PolicyKey sts_key(const std::string& domain) {
  return {domain, "sts", {"version: STSv1", "mode: enforce"}, {"mx.example.com"}};
}

Observation failure(const std::string& domain, Result result, const std::string& ip) {
  return {sts_key(domain), result, "192.0.2.1", "mx." + domain, ip};
}

ReportStore sample() {
  ReportStore store(1700000000);
  store.record(
      {sts_key("a.example"), Result::success, "192.0.2.1", "mx.a.example", "198.51.100.1"});
  store.record(
      {sts_key("a.example"), Result::success, "192.0.2.1", "mx.a.example", "198.51.100.1"});
  store.record(failure("a.example", Result::certificate_expired, "198.51.100.1"));
  store.record(failure("a.example", Result::certificate_expired, "198.51.100.1"));
  store.record({PolicyKey{"b.example", "no-policy-found", {}, {}}, Result::starttls_not_supported,
                "", "mx.b.example", "198.51.100.2"});
  return store;
}

TEST(ReportStore, CountsSuccessesAndFailureDetails) {
  const auto store = sample();
  const auto& counts = store.open().at(sts_key("a.example"));
  EXPECT_EQ(counts.successes, 2u);
  EXPECT_EQ(counts.failures, 2u);
  ASSERT_EQ(counts.details.size(), 1u);
  EXPECT_EQ(counts.details.begin()->first.result, Result::certificate_expired);
  EXPECT_EQ(counts.details.begin()->second, 2u);
}

TEST(ReportStore, ClosingMakesOneReportPerDomainAndStartsAPeriod) {
  auto store = sample();
  store.close(1700003600, [](const std::string& domain) { return "id-" + domain; });
  EXPECT_TRUE(store.open().empty());
  EXPECT_EQ(store.period_begin(), 1700003600);
  ASSERT_EQ(store.pending().size(), 2u);
  EXPECT_EQ(store.pending()[0].domain, "a.example");
  EXPECT_EQ(store.pending()[0].report_id, "id-a.example");
  EXPECT_EQ(store.pending()[0].begin, 1700000000);
  EXPECT_EQ(store.pending()[0].end, 1700003600);
  EXPECT_EQ(store.pending()[1].policies.size(), 1u);
}

TEST(ReportStore, CapsTheFailureDetailsPerPolicy) {
  ReportStore store(0);
  for (std::size_t i = 0; i < kMaxFailureDetails + 50; ++i)
    store.record(failure("a.example", Result::certificate_not_trusted,
                         "198.51.100." + std::to_string(i % 256) + "." + std::to_string(i)));
  const auto& counts = store.open().at(sts_key("a.example"));
  EXPECT_EQ(counts.failures, kMaxFailureDetails + 50);
  EXPECT_EQ(counts.details.size(), kMaxFailureDetails + 1);
  const FailureKey aggregated{Result::certificate_not_trusted, "", "", ""};
  EXPECT_EQ(counts.details.at(aggregated), 50u);
}

TEST(ReportStore, RoundTripsThroughJson) {
  auto store = sample();
  store.close(1700003600, [](const std::string& domain) { return "id-" + domain; });
  store.pending()[0].attempts = 2;
  store.pending()[0].looked_up = true;
  store.pending()[0].rua_left = {"mailto:r@a.example"};
  store.record({sts_key("c.example"), Result::success, "", "", ""});
  const auto text = store.serialize();
  auto parsed = ReportStore::parse(text);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->serialize(), text);
  EXPECT_EQ(parsed->pending()[0].attempts, 2u);
  EXPECT_EQ(parsed->pending()[0].rua_left, std::vector<std::string>{"mailto:r@a.example"});
  EXPECT_EQ(parsed->open().at(sts_key("c.example")).successes, 1u);
}

TEST(ReportStore, RefusesBrokenText) {
  for (const char* text :
       {"", "{not json", "[]", R"({"version":2,"begin":0,"open":[],"pending":[]})",
        R"({"version":1,"begin":0,"open":[{"domain":"a"}],"pending":[]})",
        R"({"version":1,"begin":0,"open":[],"pending":[{"domain":1}]})",
        R"({"version":1,"begin":0,"open":[{"domain":"a","type":"sts","strings":[],"mx_hosts":[],)"
        R"("successes":0,"failures":1,"details":[{"result":"bogus","sending_ip":"",)"
        R"("receiving_mx":"","receiving_ip":"","count":1}]}],"pending":[]})"})
    EXPECT_FALSE(ReportStore::parse(text)) << text;
}

TEST(UtcDay, Boundaries) {
  EXPECT_EQ(utc_day_start(1700000000), 1699920000);
  EXPECT_EQ(next_utc_day(1700000000), 1700006400);
  EXPECT_EQ(next_utc_day(1699920000), 1700006400);
}

class StoreFile : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tls-report-test-" + std::to_string(::getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(StoreFile, SavesAndLoads) {
  const auto file = store_file(dir_);
  EXPECT_EQ(file, dir_ / "tls-report" / "state.json");
  const auto store = sample();
  ASSERT_TRUE(save_store(file, store));
  EXPECT_EQ(load_store(file, 5).serialize(), store.serialize());
  EXPECT_FALSE(std::filesystem::exists(file.string() + ".tmp"));
}

TEST_F(StoreFile, AMissingFileStartsAFreshPeriod) {
  const auto store = load_store(store_file(dir_), 1700000000);
  EXPECT_EQ(store.period_begin(), 1700000000);
  EXPECT_TRUE(store.open().empty());
}

TEST_F(StoreFile, ACorruptFileIsSetAsideAndAFreshStoreStarts) {
  const auto file = store_file(dir_);
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file) << "{\"version\":1,";
  const auto store = load_store(file, 1700000000);
  EXPECT_TRUE(store.open().empty());
  EXPECT_EQ(store.period_begin(), 1700000000);
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_TRUE(std::filesystem::exists(file.string() + ".corrupt-1700000000"));
}

}  // namespace
}  // namespace mxrelay::mta::tlsrpt
