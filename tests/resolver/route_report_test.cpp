// tests/resolver: `route` rendering as text and JSON carries every key fact.
#include "resolver/route_report.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "policy_test_support.hpp"

namespace mxrelay::resolver {
namespace {

using namespace testing;

RouteExplanation delivered() {
  RouteExplanation explanation;
  explanation.domain = "outlook.com";
  explanation.lookup_name = "outlook.com";
  explanation.queries.push_back(
      mx_of("outlook.com", {{5, "outlook-com.olc.protection.outlook.com"}}));
  explanation.queries.back().ttl = 3600;
  explanation.queries.back().answer_bytes = 97;
  auto a = a_of("outlook-com.olc.protection.outlook.com", {"192.0.2.1", "192.0.2.2"});
  a.answer_bytes = 1037;
  a.bogus = true;
  a.why_bogus = "signature expired";
  explanation.queries.push_back(a);
  explanation.notes.push_back("skipped MX host localhost: loops back");
  explanation.result = std::vector<Candidate>{
      {"outlook-com.olc.protection.outlook.com", 5, *core::IpAddress::parse("192.0.2.2"), 25}};
  return explanation;
}

TEST(RouteReportText, ShowsQueriesCandidatesAndVerdict) {
  auto text = render_route_text(delivered());
  for (const char* fact :
       {"route for outlook.com", "outlook.com MX: ok", "ttl=3600", "records=2", "bytes=1037",
        "bogus (signature expired)", "via stub example",
        "MX 5 outlook-com.olc.protection.outlook.com", "skipped MX host localhost",
        "1. outlook-com.olc.protection.outlook.com preference 5 192.0.2.2:25", "verdict: deliver"})
    EXPECT_NE(text.find(fact), std::string::npos) << fact << "\n" << text;
}

TEST(RouteReportText, FailureVerdicts) {
  auto explanation = delivered();
  explanation.result =
      std::unexpected(core::Failure::temporary(451, {4, 4, 3}, "MX lookup failed"));
  EXPECT_NE(render_route_text(explanation).find("verdict: defer 451 4.4.3 MX lookup failed"),
            std::string::npos);
  explanation.result = std::unexpected(core::Failure::permanent(556, {5, 1, 10}, "null MX"));
  EXPECT_NE(render_route_text(explanation).find("verdict: bounce 556 5.1.10 null MX"),
            std::string::npos);
  EXPECT_STREQ(verdict_name(explanation.result), "bounce");
}

TEST(RouteReportText, ShowsBothDomainFormsTlsAndCredentialsWithoutPassword) {
  auto explanation = delivered();
  explanation.domain = "bücher.example";
  explanation.a_label = "xn--bcher-kva.example";
  explanation.tls = "verify";
  explanation.implicit_tls = true;
  explanation.auth = RouteAuth{"isp", "relay@corp.example"};
  auto text = render_route_text(explanation);
  for (const char* fact :
       {"route for bücher.example (A-label xn--bcher-kva.example)", "tls: verify (implicit TLS)",
        "auth: user \"relay@corp.example\" from [auth.isp]; credentials are sent only over TLS"})
    EXPECT_NE(text.find(fact), std::string::npos) << fact << "\n" << text;
  auto root = boost::json::parse(render_route_json(explanation)).as_object();
  EXPECT_EQ(root.at("domain_a_label").as_string(), "xn--bcher-kva.example");
  EXPECT_EQ(root.at("tls").as_string(), "verify");
  EXPECT_TRUE(root.at("implicit_tls").as_bool());
  const auto& auth = root.at("auth").as_object();
  EXPECT_EQ(auth.at("table").as_string(), "isp");
  EXPECT_EQ(auth.at("username").as_string(), "relay@corp.example");
  EXPECT_TRUE(auth.at("tls_required").as_bool());
  EXPECT_TRUE(boost::json::parse(render_route_json(delivered())).as_object().at("auth").is_null());
}

TEST(RouteReportJson, ParsesBackWithAllFields) {
  auto root = boost::json::parse(render_route_json(delivered())).as_object();
  EXPECT_EQ(root.at("domain").as_string(), "outlook.com");
  EXPECT_EQ(root.at("implicit_mx").as_bool(), false);
  const auto& queries = root.at("queries").as_array();
  ASSERT_EQ(queries.size(), 2u);
  const auto& mx = queries[0].as_object();
  EXPECT_EQ(mx.at("type").as_string(), "MX");
  EXPECT_EQ(mx.at("ttl").to_number<int>(), 3600);
  EXPECT_EQ(mx.at("mx").as_array()[0].as_object().at("exchange").as_string(),
            "outlook-com.olc.protection.outlook.com");
  const auto& a = queries[1].as_object();
  EXPECT_EQ(a.at("records").to_number<int>(), 2);
  EXPECT_EQ(a.at("answer_bytes").to_number<int>(), 1037);
  EXPECT_EQ(a.at("bogus").as_bool(), true);
  EXPECT_EQ(a.at("why_bogus").as_string(), "signature expired");
  EXPECT_EQ(a.at("addresses").as_array().size(), 2u);
  EXPECT_EQ(root.at("notes").as_array().size(), 1u);
  const auto& candidate = root.at("candidates").as_array()[0].as_object();
  EXPECT_EQ(candidate.at("address").as_string(), "192.0.2.2");
  EXPECT_EQ(candidate.at("port").to_number<int>(), 25);
  EXPECT_EQ(candidate.at("preference").to_number<int>(), 5);
  EXPECT_EQ(root.at("verdict").as_object().at("action").as_string(), "deliver");
}

TEST(RouteReportJson, FailureVerdictHasCodeStatusReason) {
  auto explanation = delivered();
  explanation.result =
      std::unexpected(core::Failure::permanent(550, {5, 1, 2}, "domain does not exist"));
  auto root = boost::json::parse(render_route_json(explanation)).as_object();
  const auto& verdict = root.at("verdict").as_object();
  EXPECT_EQ(verdict.at("action").as_string(), "bounce");
  EXPECT_EQ(verdict.at("code").to_number<int>(), 550);
  EXPECT_EQ(verdict.at("status").as_string(), "5.1.2");
  EXPECT_EQ(verdict.at("reason").as_string(), "domain does not exist");
  EXPECT_TRUE(root.at("candidates").as_array().empty());
}

}  // namespace
}  // namespace mxrelay::resolver
