// tests/mta/tls_report: the RFC 8460 section 4 JSON report (required members and their
// types), the policy entries sessions are counted under, and gzip.
#include "mta/tls_report/report_json.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "mta/tls_report/gzip.hpp"
#include "mta/tls_report/policy_key.hpp"

namespace mxrelay::mta::tlsrpt {
namespace {

namespace json = boost::json;

PendingReport sample() {
  ReportStore store(1699920000);
  sts::Policy policy{sts::Mode::enforce, {"mx.a.example", "*.b.example"}, 86400};
  const auto key = sts_policy_key("a.example", &policy);
  store.record({key, Result::success, "192.0.2.1", "mx.a.example", "198.51.100.1"});
  store.record({key, Result::certificate_expired, "192.0.2.1", "mx.a.example", "198.51.100.1"});
  store.record(
      {tlsa_policy_key("a.example", std::vector<resolver::TlsaRecord>{{3, 1, 1, {0x0a, 0xff}}}),
       Result::tlsa_invalid, "", "mx2.a.example", ""});
  store.close(1700006400, [](const std::string&) { return "r1@relay.example"; });
  return store.pending().front();
}

const json::value& member(const json::object& object, const char* name) {
  const auto* found = object.if_contains(name);
  if (!found) throw std::runtime_error(std::string("missing ") + name);
  return *found;
}

TEST(ReportJson, HasTheRfcMembersWithTheirTypes) {
  const auto value = json::parse(report_json({"Example Org", "tls@relay.example"}, sample()));
  const auto& report = value.as_object();
  EXPECT_EQ(member(report, "organization-name").as_string(), "Example Org");
  EXPECT_EQ(member(report, "contact-info").as_string(), "tls@relay.example");
  EXPECT_EQ(member(report, "report-id").as_string(), "r1@relay.example");
  const auto& range = member(report, "date-range").as_object();
  EXPECT_EQ(member(range, "start-datetime").as_string(), "2023-11-14T00:00:00Z");
  EXPECT_EQ(member(range, "end-datetime").as_string(), "2023-11-15T00:00:00Z");
  const auto& policies = member(report, "policies").as_array();
  ASSERT_EQ(policies.size(), 2u);
  for (const auto& item : policies) {
    const auto& entry = item.as_object();
    const auto& policy = member(entry, "policy").as_object();
    EXPECT_TRUE(member(policy, "policy-type").is_string());
    EXPECT_EQ(member(policy, "policy-domain").as_string(), "a.example");
    EXPECT_TRUE(member(policy, "policy-string").is_array());
    const auto& summary = member(entry, "summary").as_object();
    EXPECT_TRUE(member(summary, "total-successful-session-count").is_number());
    EXPECT_TRUE(member(summary, "total-failure-session-count").is_number());
    for (const auto& detail : member(entry, "failure-details").as_array()) {
      EXPECT_TRUE(member(detail.as_object(), "result-type").is_string());
      EXPECT_TRUE(member(detail.as_object(), "failed-session-count").is_number());
    }
  }
  const auto& sts = policies[0].as_object();
  EXPECT_EQ(sts.at("policy").at("policy-type").as_string(), "sts");
  EXPECT_EQ(sts.at("policy").at("policy-string").as_array(),
            (json::array{"version: STSv1", "mode: enforce", "mx: mx.a.example", "mx: *.b.example",
                         "max_age: 86400"}));
  EXPECT_EQ(sts.at("policy").at("mx-host").as_array(),
            (json::array{"mx.a.example", "*.b.example"}));
  EXPECT_EQ(sts.at("summary").at("total-successful-session-count").to_number<std::uint64_t>(), 1u);
  EXPECT_EQ(sts.at("summary").at("total-failure-session-count").to_number<std::uint64_t>(), 1u);
  const auto& detail = sts.at("failure-details").as_array()[0].as_object();
  EXPECT_EQ(detail.at("result-type").as_string(), "certificate-expired");
  EXPECT_EQ(detail.at("sending-mta-ip").as_string(), "192.0.2.1");
  EXPECT_EQ(detail.at("receiving-mx-hostname").as_string(), "mx.a.example");
  EXPECT_EQ(detail.at("receiving-ip").as_string(), "198.51.100.1");
  const auto& tlsa = policies[1].as_object();
  EXPECT_EQ(tlsa.at("policy").at("policy-type").as_string(), "tlsa");
  EXPECT_EQ(tlsa.at("policy").at("policy-string").as_array(), (json::array{"3 1 1 0AFF"}));
  EXPECT_FALSE(tlsa.at("failure-details").as_array()[0].as_object().contains("receiving-ip"));
}

TEST(ReportJson, NoPolicyFound) {
  const auto key = no_policy_key("c.example");
  EXPECT_EQ(key.type, "no-policy-found");
  EXPECT_TRUE(key.strings.empty());
  EXPECT_EQ(sts_policy_key("c.example", nullptr).type, "sts");
}

TEST(Gzip, RoundTrips) {
  const std::string text = report_json({"o", "c@x.example"}, sample());
  const auto packed = gzip_compress(text);
  ASSERT_GE(packed.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(packed[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(packed[1]), 0x8b);
  auto unpacked = gzip_decompress(packed);
  ASSERT_TRUE(unpacked) << unpacked.error();
  EXPECT_EQ(*unpacked, text);
  EXPECT_EQ(gzip_decompress(gzip_compress("")).value_or("x"), "");
}

TEST(Gzip, RefusesTruncatedAndForeignData) {
  const auto packed = gzip_compress(std::string(10000, 'a'));
  EXPECT_FALSE(gzip_decompress(packed.substr(0, packed.size() / 2)));
  EXPECT_FALSE(gzip_decompress("plain text"));
  EXPECT_FALSE(gzip_decompress(packed, 100));
}

}  // namespace
}  // namespace mxrelay::mta::tlsrpt
