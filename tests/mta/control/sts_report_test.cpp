// tests/mta/control: the MTA-STS part of `mxrelay route` from plain lookups: not applied, no
// policy, and the rule an enforce or testing policy makes of each MX host.
#include "mta/control/sts_report.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace mxrelay::mta {
namespace {

sts::PolicyLookup lookup_of(sts::Mode mode, sts::Origin origin) {
  sts::PolicyLookup out;
  out.policy = sts::DomainPolicy{"example.com", "20261204", {mode, {"mx1.example.com"}, 86400}};
  out.origin = origin;
  out.expires_at = 1796400000;
  return out;
}

std::string text_of(const RouteSts& sts, const std::vector<std::string>& hosts) {
  std::ostringstream out;
  print_route_sts(out, sts, hosts, conf::TlsPolicy::may);
  return out.str();
}

TEST(StsReport, WhyItDoesNotApply) {
  resolver::TransportDecision decision;
  decision.mta_sts = true;
  EXPECT_EQ(sts_not_applied(true, decision), "");
  EXPECT_EQ(sts_not_applied(false, decision), "delivery.mta_sts = false");
  decision.mta_sts = false;
  EXPECT_NE(sts_not_applied(true, decision).find("transport entry sets tls"), std::string::npos);
  const RouteSts sts{{}, "delivery.mta_sts = false"};
  EXPECT_EQ(text_of(sts, {"mx1.example.com"}), "MTA-STS: not applied (delivery.mta_sts = false)\n");
  EXPECT_FALSE(route_sts_json(sts, {}, conf::TlsPolicy::may).at("applies").as_bool());
}

TEST(StsReport, NoPolicySaysWhy) {
  sts::PolicyLookup none;
  none.detail = "no _mta-sts TXT record";
  EXPECT_EQ(text_of(RouteSts{none, ""}, {"mx1.example.com"}),
            "MTA-STS: no policy (no _mta-sts TXT record)\n");
}

TEST(StsReport, EachHostGetsTheRuleOfThePolicy) {
  const auto text = text_of(RouteSts{lookup_of(sts::Mode::enforce, sts::Origin::cache), ""},
                            {"mx1.example.com", "mx2.elsewhere.example"});
  EXPECT_NE(text.find("MTA-STS: MTA-STS policy of example.com (id 20261204, mode enforce), "
                      "from the relay's cache"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("max_age 86400 s; mx patterns: mx1.example.com\n"), std::string::npos);
  EXPECT_NE(text.find("mx1.example.com: TLS required, the certificate verified"), std::string::npos)
      << text;
  EXPECT_NE(text.find("mx2.elsewhere.example: not connected: 451 4.7.5"), std::string::npos)
      << text;

  const auto json = route_sts_json(RouteSts{lookup_of(sts::Mode::testing, sts::Origin::fetch), ""},
                                   {"mx2.elsewhere.example"}, conf::TlsPolicy::may);
  EXPECT_EQ(json.at("origin").as_string(), "fetch");
  EXPECT_EQ(json.at("policy").at("mode").as_string(), "testing");
  const auto rule = json.at("hosts").at(0).at("rule").as_string();
  EXPECT_TRUE(rule.starts_with("as without a policy (may); testing reports: ")) << rule;
}

}  // namespace
}  // namespace mxrelay::mta
