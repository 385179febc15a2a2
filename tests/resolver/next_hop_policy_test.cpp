// tests/resolver: the RFC 5321 5.1 policy table, one row per DNS situation, without I/O.
#include "resolver/next_hop_policy.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "core/domain_name.hpp"
#include "policy_test_support.hpp"

namespace mxrelay::resolver {
namespace {

using namespace testing;
using ::testing::Contains;
using ::testing::HasSubstr;

struct Decision {
  RouteResult result;
  std::vector<std::string> hosts_looked_up;  // empty when the MX step already decided
  bool implicit_mx = false;
  std::vector<std::string> notes;
};

// Runs both policy steps the way NextHopResolver does, with canned address answers.
Decision decide(const std::string& domain, const DnsAnswer& mx,
                const std::vector<DnsAnswer>& address_answers, const PolicyContext& context,
                std::uint64_t seed = 1) {
  RandomSource random(seed);
  Decision decision;
  auto plan = plan_mx_hosts(domain, mx, context, random);
  if (!plan) {
    decision.result = std::unexpected(plan.error());
    return decision;
  }
  for (const auto& host : plan->hosts) decision.hosts_looked_up.push_back(host.name);
  decision.implicit_mx = plan->source == HostSource::implicit_mx;
  decision.notes = plan->notes;
  decision.result = choose_candidates(*plan, address_answers, context, random, decision.notes);
  return decision;
}

// "host/address" per candidate, in order.
std::vector<std::string> describe(const RouteResult& result) {
  std::vector<std::string> out;
  if (result)
    for (const auto& candidate : *result)
      out.push_back(candidate.host + "/" + candidate.address.str());
  return out;
}

PolicyContext default_context() {
  PolicyContext context;
  context.mx_required = {"outlook.com", "hotmail.com"};
  context.own_names = {"relay.example.net"};
  context.own_endpoints = {{*core::IpAddress::parse("127.0.0.1"), 25}};
  context.port = 25;
  return context;
}

struct ExpectedFailure {
  core::Failure::Kind kind;
  int code;
  core::EnhancedStatus status;
};

struct PolicyRow {
  std::string name;
  std::string domain;
  DnsAnswer mx;
  std::vector<DnsAnswer> addresses;
  std::optional<ExpectedFailure> failure{};
  std::vector<std::string> candidates{};  // exact order, when no failure
  bool implicit_mx = false;
  void (*adjust)(PolicyContext&) = nullptr;
};

constexpr auto kTemp = core::Failure::Kind::temporary;
constexpr auto kPerm = core::Failure::Kind::permanent;

std::vector<PolicyRow> policy_table() {
  const std::string d = "example.org";
  return {
      {"MxInPreferenceOrder",
       d,
       mx_of(d, {{20, "mx2.example.org"}, {10, "mx1.example.org"}}),
       {a_of("mx1.example.org", {"192.0.2.1"}), a_of("mx2.example.org", {"192.0.2.2"})},
       std::nullopt,
       {"mx1.example.org/192.0.2.1", "mx2.example.org/192.0.2.2"}},
      {"NodataMeansImplicitMx",
       d,
       answer_of(d, RrType::mx, DnsOutcome::nodata),
       {a_of(d, {"192.0.2.9"})},
       std::nullopt,
       {"example.org/192.0.2.9"},
       true},
      {"NxdomainBounces",
       d,
       answer_of(d, RrType::mx, DnsOutcome::nxdomain),
       {},
       ExpectedFailure{kPerm, 550, {5, 1, 2}}},
      {"ServfailDefers",
       d,
       answer_of(d, RrType::mx, DnsOutcome::servfail),
       {a_of(d, {"192.0.2.9"})},
       ExpectedFailure{kTemp, 451, {4, 4, 3}}},
      {"TimeoutDefers",
       d,
       answer_of(d, RrType::mx, DnsOutcome::timeout),
       {a_of(d, {"192.0.2.9"})},
       ExpectedFailure{kTemp, 451, {4, 4, 3}}},
      {"BogusDefers",
       d,
       answer_of(d, RrType::mx, DnsOutcome::bogus),
       {a_of(d, {"192.0.2.9"})},
       ExpectedFailure{kTemp, 451, {4, 4, 3}}},
      {"LocalErrorDefers",
       d,
       answer_of(d, RrType::mx, DnsOutcome::error),
       {a_of(d, {"192.0.2.9"})},
       ExpectedFailure{kTemp, 451, {4, 4, 3}}},
      {"NullMxBounces",
       d,
       mx_of(d, {{0, ""}}),
       {a_of(d, {"192.0.2.9"})},
       ExpectedFailure{kPerm, 556, {5, 1, 10}}},
      {"SomeMxHostsFailOthersUsed",
       d,
       mx_of(d, {{10, "mx1.example.org"}, {20, "mx2.example.org"}, {30, "mx3.example.org"}}),
       {answer_of("mx1.example.org", RrType::a, DnsOutcome::servfail),
        answer_of("mx2.example.org", RrType::a, DnsOutcome::nxdomain),
        a_of("mx3.example.org", {"192.0.2.3"})},
       std::nullopt,
       {"mx3.example.org/192.0.2.3"}},
      {"NoMxHostHasAddressDefers",
       d,
       mx_of(d, {{10, "mx1.example.org"}, {20, "mx2.example.org"}, {30, "mx3.example.org"}}),
       {answer_of("mx1.example.org", RrType::a, DnsOutcome::nxdomain),
        answer_of("mx2.example.org", RrType::a, DnsOutcome::nodata),
        answer_of("mx3.example.org", RrType::a, DnsOutcome::servfail), a_of(d, {"192.0.2.9"})},
       ExpectedFailure{kTemp, 451, {4, 4, 4}}},
      {"MxHostIpLiteralSkipped",
       d,
       mx_of(d, {{10, "192.0.2.7"}}),
       {a_of(d, {"192.0.2.9"})},
       ExpectedFailure{kPerm, 554, {5, 4, 6}}},
      {"MxHostLocalhostSkipped",
       d,
       mx_of(d, {{10, "localhost"}}),
       {},
       ExpectedFailure{kPerm, 554, {5, 4, 6}}},
      {"MxHostOwnNameSkipped",
       d,
       mx_of(d, {{10, "Relay.Example.NET."}}),
       {},
       ExpectedFailure{kPerm, 554, {5, 4, 6}}},
      {"SkippedHostsLeaveTheRest",
       d,
       mx_of(d, {{5, "localhost"}, {6, "[192.0.2.7]"}, {10, "mx1.example.org"}}),
       {a_of("mx1.example.org", {"192.0.2.1"})},
       std::nullopt,
       {"mx1.example.org/192.0.2.1"}},
      {"MxHostAddressThisNetworkLoops",
       d,
       mx_of(d, {{10, "mx1.example.org"}}),
       {a_of("mx1.example.org", {"0.0.0.1"})},
       ExpectedFailure{kPerm, 554, {5, 4, 6}}},
      {"MxHostAddressOwnListenerLoops",
       d,
       mx_of(d, {{10, "mx1.example.org"}}),
       {a_of("mx1.example.org", {"127.0.0.1"})},
       ExpectedFailure{kPerm, 554, {5, 4, 6}}},
      {"LoopbackOnOtherAddressAllowed",
       d,
       mx_of(d, {{10, "mx1.example.org"}}),
       {a_of("mx1.example.org", {"127.0.0.2"})},
       std::nullopt,
       {"mx1.example.org/127.0.0.2"}},
      {"OwnAddressOnOtherPortAllowed",
       d,
       mx_of(d, {{10, "mx1.example.org"}}),
       {a_of("mx1.example.org", {"127.0.0.1"})},
       std::nullopt,
       {"mx1.example.org/127.0.0.1"},
       false,
       [](PolicyContext& c) { c.port = 2526; }},
      {"MxRequiredNodataDefers",
       "Outlook.COM",
       answer_of("outlook.com", RrType::mx, DnsOutcome::nodata),
       {a_of("outlook.com", {"192.0.2.66"})},
       ExpectedFailure{kTemp, 451, {4, 4, 3}}},
      {"ImplicitMxWithoutAddressBounces",
       d,
       answer_of(d, RrType::mx, DnsOutcome::nodata),
       {answer_of(d, RrType::a, DnsOutcome::nodata),
        answer_of(d, RrType::aaaa, DnsOutcome::nodata)},
       ExpectedFailure{kPerm, 550, {5, 4, 4}},
       {},
       true},
      {"ImplicitMxAddressServfailDefers",
       d,
       answer_of(d, RrType::mx, DnsOutcome::nodata),
       {answer_of(d, RrType::a, DnsOutcome::servfail)},
       ExpectedFailure{kTemp, 451, {4, 4, 3}},
       {},
       true},
      {"Ipv4Only",
       d,
       mx_of(d, {{10, "mx1.example.org"}}),
       {a_of("mx1.example.org", {"192.0.2.1"}),
        addresses_of("mx1.example.org", RrType::aaaa, {"2001:db8::1"})},
       std::nullopt,
       {"mx1.example.org/192.0.2.1"},
       false,
       [](PolicyContext& c) { c.ip_version = conf::IpVersion::ipv4; }},
      {"Ipv6Only",
       d,
       mx_of(d, {{10, "mx1.example.org"}}),
       {a_of("mx1.example.org", {"192.0.2.1"}),
        addresses_of("mx1.example.org", RrType::aaaa, {"2001:db8::1"})},
       std::nullopt,
       {"mx1.example.org/2001:db8::1"},
       false,
       [](PolicyContext& c) { c.ip_version = conf::IpVersion::ipv6; }},
      {"PreferIpv4",
       d,
       mx_of(d, {{10, "mx1.example.org"}}),
       {addresses_of("mx1.example.org", RrType::aaaa, {"2001:db8::1"}),
        a_of("mx1.example.org", {"192.0.2.1"})},
       std::nullopt,
       {"mx1.example.org/192.0.2.1", "mx1.example.org/2001:db8::1"},
       false,
       [](PolicyContext& c) { c.ip_version = conf::IpVersion::prefer_ipv4; }},
      {"PreferIpv6",
       d,
       mx_of(d, {{10, "mx1.example.org"}}),
       {a_of("mx1.example.org", {"192.0.2.1"}),
        addresses_of("mx1.example.org", RrType::aaaa, {"2001:db8::1"})},
       std::nullopt,
       {"mx1.example.org/2001:db8::1", "mx1.example.org/192.0.2.1"},
       false,
       [](PolicyContext& c) { c.ip_version = conf::IpVersion::prefer_ipv6; }},
      {"MaxAddressesAcrossHostsInPreferenceOrder",
       d,
       mx_of(d, {{30, "mx3.example.org"}, {10, "mx1.example.org"}, {20, "mx2.example.org"}}),
       {a_of("mx1.example.org", {"192.0.2.1"}), a_of("mx2.example.org", {"192.0.2.2"}),
        a_of("mx3.example.org", {"192.0.2.3"})},
       std::nullopt,
       {"mx1.example.org/192.0.2.1", "mx2.example.org/192.0.2.2"},
       false,
       [](PolicyContext& c) { c.max_addresses = 2; }},
  };
}

void PrintTo(const PolicyRow& row, std::ostream* out) {
  *out << row.name;
}

class PolicyTable : public ::testing::TestWithParam<PolicyRow> {};

TEST_P(PolicyTable, DecidesAsRfc5321Says) {
  const auto& row = GetParam();
  auto context = default_context();
  if (row.adjust != nullptr) row.adjust(context);
  auto decision = decide(row.domain, row.mx, row.addresses, context);
  if (row.failure) {
    ASSERT_FALSE(decision.result) << "expected a failure, got " << describe(decision.result).size()
                                  << " candidates";
    EXPECT_EQ(decision.result.error().kind, row.failure->kind);
    EXPECT_EQ(decision.result.error().reply_code, row.failure->code);
    EXPECT_EQ(decision.result.error().status, row.failure->status) << decision.result.error().str();
    EXPECT_FALSE(decision.result.error().reason.empty());
  } else {
    ASSERT_TRUE(decision.result) << decision.result.error().str();
    EXPECT_EQ(describe(decision.result), row.candidates);
  }
  EXPECT_EQ(decision.implicit_mx, row.implicit_mx);
  // The domain's own address records are asked for only when it has no MX (implicit MX).
  bool domain_looked_up =
      std::ranges::find(decision.hosts_looked_up, core::canonical_domain(row.domain)) !=
      decision.hosts_looked_up.end();
  EXPECT_TRUE(row.implicit_mx || !domain_looked_up);
}

INSTANTIATE_TEST_SUITE_P(Rows, PolicyTable, ::testing::ValuesIn(policy_table()),
                         [](const auto& info) { return info.param.name; });

TEST(PolicyTemporaryMxFailure, NeverPlansAnAddressLookup) {
  for (auto outcome :
       {DnsOutcome::servfail, DnsOutcome::timeout, DnsOutcome::bogus, DnsOutcome::error}) {
    RandomSource random(7);
    auto plan = plan_mx_hosts("outlook.com", answer_of("outlook.com", RrType::mx, outcome),
                              default_context(), random);
    ASSERT_FALSE(plan) << to_string(outcome);
    EXPECT_EQ(plan.error().status, (core::EnhancedStatus{4, 4, 3}));
  }
}

TEST(PolicyCname, MxHostAliasIsFollowedAndNoted) {
  auto target = a_of("mail.example.org", {"192.0.2.5"});
  target.canonical_name = "real-mail.example.net";
  auto decision = decide("example.org", mx_of("example.org", {{10, "mail.example.org"}}), {target},
                         default_context());
  ASSERT_TRUE(decision.result);
  EXPECT_EQ(describe(decision.result), std::vector<std::string>{"mail.example.org/192.0.2.5"});
  EXPECT_TRUE(std::ranges::any_of(decision.notes, [](const std::string& note) {
    return note.find("real-mail.example.net") != std::string::npos;
  }));
}

TEST(PolicyShuffle, EqualPreferencesShuffledDifferentPreferencesNever) {
  auto mx = mx_of(
      "example.org",
      {{10, "a.example.org"}, {10, "b.example.org"}, {20, "c.example.org"}, {30, "d.example.org"}});
  std::set<std::vector<std::string>> orders;
  for (std::uint64_t seed = 0; seed < 64; ++seed) {
    RandomSource random(seed);
    auto plan = plan_mx_hosts("example.org", mx, default_context(), random);
    ASSERT_TRUE(plan);
    std::vector<std::string> names;
    for (const auto& host : plan->hosts) names.push_back(host.name);
    ASSERT_EQ(names.size(), 4u);
    EXPECT_EQ(names[2], "c.example.org");
    EXPECT_EQ(names[3], "d.example.org");
    orders.insert(names);
  }
  EXPECT_EQ(orders.size(), 2u);  // a,b,... and b,a,... both occur
}

TEST(PolicyShuffle, SameSeedSameDecision) {
  auto mx = mx_of("example.org", {{10, "a.example.org"}, {10, "b.example.org"}});
  std::vector<DnsAnswer> addresses{a_of("a.example.org", {"192.0.2.1"}),
                                   a_of("b.example.org", {"192.0.2.2"})};
  for (std::uint64_t seed = 0; seed < 8; ++seed)
    EXPECT_EQ(describe(decide("example.org", mx, addresses, default_context(), seed).result),
              describe(decide("example.org", mx, addresses, default_context(), seed).result));
}

DnsAnswer large_rrset(const std::string& host, int count) {
  auto answer = answer_of(host, RrType::a, DnsOutcome::ok);
  for (int i = 0; i < count; ++i)
    answer.addresses.push_back(core::IpAddress::v4(
        {10, 1, static_cast<std::uint8_t>(i / 250), static_cast<std::uint8_t>(i % 250 + 1)}));
  return answer;
}

TEST(PolicyMaxAddresses, LargeRrsetIsSampledRandomlyAndFully) {
  auto mx = mx_of("outlook.com", {{5, "outlook-com.olc.protection.outlook.com"}});
  std::vector<DnsAnswer> addresses{large_rrset("outlook-com.olc.protection.outlook.com", 300)};
  std::map<std::string, int> seen;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    auto decision = decide("outlook.com", mx, addresses, default_context(), seed);
    ASSERT_TRUE(decision.result);
    ASSERT_EQ(decision.result->size(), 5u);
    std::set<std::string> distinct;
    for (const auto& candidate : *decision.result) {
      distinct.insert(candidate.address.str());
      ++seen[candidate.address.str()];
    }
    EXPECT_EQ(distinct.size(), 5u);
  }
  // 1000 picks from 300 addresses: a fair sampler reaches well over half of them, and no
  // single address dominates.
  EXPECT_GT(seen.size(), 250u);
  for (const auto& [address, count] : seen) EXPECT_LT(count, 20) << address;
}

TEST(PolicyMaxAddresses, SpreadsOverHostsInPreferenceOrder) {
  auto context = default_context();
  context.max_addresses = 5;
  auto mx = mx_of("example.org", {{10, "a.example.org"}, {20, "b.example.org"}});
  auto decision =
      decide("example.org", mx,
             {large_rrset("a.example.org", 3), a_of("b.example.org", {"192.0.2.2"})}, context);
  ASSERT_TRUE(decision.result);
  ASSERT_EQ(decision.result->size(), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ((*decision.result)[i].host, "a.example.org");
  EXPECT_EQ((*decision.result)[3].host, "b.example.org");
  EXPECT_EQ((*decision.result)[3].preference, 20);
}

TEST(PolicyIpVersion, AnyUsesBothFamilies) {
  auto context = default_context();
  context.ip_version = conf::IpVersion::any;
  auto decision = decide("example.org", mx_of("example.org", {{10, "mx.example.org"}}),
                         {a_of("mx.example.org", {"192.0.2.1"}),
                          addresses_of("mx.example.org", RrType::aaaa, {"2001:db8::1"})},
                         context);
  ASSERT_TRUE(decision.result);
  auto got = describe(decision.result);
  std::ranges::sort(got);
  EXPECT_EQ(got,
            (std::vector<std::string>{"mx.example.org/192.0.2.1", "mx.example.org/2001:db8::1"}));
}

TEST(PolicyIpVersion, AddressTypesFollowTheSetting) {
  EXPECT_EQ(address_types(conf::IpVersion::ipv4), std::vector<RrType>{RrType::a});
  EXPECT_EQ(address_types(conf::IpVersion::ipv6), std::vector<RrType>{RrType::aaaa});
  EXPECT_EQ(address_types(conf::IpVersion::any).size(), 2u);
}

TEST(PolicyNamedHost, LiteralAndOwnEndpoint) {
  auto context = default_context();
  std::vector<std::string> notes;
  auto ok = literal_candidate("192.0.2.8", *parse_address_literal("[192.0.2.8]"), context, notes);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->front().port, 25);
  auto loop = literal_candidate("127.0.0.1", *parse_address_literal("127.0.0.1"), context, notes);
  ASSERT_FALSE(loop);
  EXPECT_EQ(loop.error().status, (core::EnhancedStatus{5, 4, 6}));
  EXPECT_FALSE(parse_address_literal("mx.example.org"));
  EXPECT_TRUE(parse_address_literal("[IPv6:2001:db8::1]"));
}

// Unspecified, multicast and broadcast addresses are never delivery addresses, from DNS or
// from a literal; the unicast ones of the same RRset are used.
TEST(PolicyAddresses, NonUnicastAddressesAreNeverCandidates) {
  auto mixed = decide("example.org", mx_of("example.org", {{10, "mx1.example.org"}}),
                      {a_of("mx1.example.org",
                            {"0.0.0.0", "224.0.0.5", "239.1.2.3", "255.255.255.255", "192.0.2.9"}),
                       addresses_of("mx1.example.org", RrType::aaaa, {"::", "ff02::1"})},
                      default_context());
  EXPECT_EQ(describe(mixed.result), std::vector<std::string>{"mx1.example.org/192.0.2.9"});
  EXPECT_THAT(mixed.notes, Contains(HasSubstr("224.0.0.5: multicast, never a delivery address")));
  EXPECT_THAT(mixed.notes, Contains(HasSubstr("0.0.0.0: unspecified")));
  EXPECT_THAT(mixed.notes, Contains(HasSubstr("255.255.255.255: broadcast")));

  auto only_null = decide("example.org", mx_of("example.org", {{10, "mx1.example.org"}}),
                          {a_of("mx1.example.org", {"0.0.0.0"})}, default_context());
  ASSERT_FALSE(only_null.result);
  EXPECT_EQ(only_null.result.error().status, (core::EnhancedStatus{4, 4, 4}));

  std::vector<std::string> notes;
  for (const char* literal :
       {"[0.0.0.0]", "[224.0.0.1]", "[255.255.255.255]", "[IPv6:::]", "[IPv6:ff05::2]"}) {
    auto refused =
        literal_candidate(literal, *parse_address_literal(literal), default_context(), notes);
    ASSERT_FALSE(refused) << literal;
    EXPECT_EQ(refused.error().status, (core::EnhancedStatus{5, 1, 2})) << literal;
    EXPECT_TRUE(refused.error().is_permanent());
  }
}

TEST(PolicyNamedHost, WithoutAddressDefers) {
  RandomSource random(1);
  std::vector<std::string> notes;
  auto plan = plan_single_host("Smart.Example.ORG");
  EXPECT_EQ(plan.hosts.front().name, "smart.example.org");
  auto result = choose_candidates(
      plan, std::vector<DnsAnswer>{answer_of("smart.example.org", RrType::a, DnsOutcome::nxdomain)},
      default_context(), random, notes);
  ASSERT_FALSE(result);
  EXPECT_FALSE(result.error().is_permanent());
  EXPECT_EQ(result.error().status, (core::EnhancedStatus{4, 4, 4}));
}

TEST(PolicyContextFromConfig, TakesOwnNamesAndEndpoints) {
  conf::Config config;
  config.server.hostname = "Relay.Example.NET";
  config.server.listen = {{*core::IpAddress::parse("127.0.0.1"), 2525}};
  config.dns.mx_required = {"Outlook.com"};
  config.delivery.port = 2526;
  config.delivery.max_addresses = 7;
  auto context = PolicyContext::from_config(config);
  EXPECT_EQ(context.own_names, std::vector<std::string>{"relay.example.net"});
  EXPECT_EQ(context.mx_required, std::vector<std::string>{"outlook.com"});
  EXPECT_EQ(context.own_endpoints.size(), 1u);
  EXPECT_EQ(context.port, 2526);
  EXPECT_EQ(context.max_addresses, 7u);
}

}  // namespace
}  // namespace mxrelay::resolver
