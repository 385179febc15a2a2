// tests/resolver: UnboundClient and NextHopResolver against real DNS on loopback — NSD
// serving the outlook.com incident zones (truncated UDP answers, TCP fallback), a responder
// that answers SERVFAIL for MX, and one that never answers.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <memory>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "dns_peers.hpp"
#include "resolver/next_hop_resolver.hpp"
#include "resolver/route_report.hpp"
#include "resolver/unbound_client.hpp"

namespace mxrelay::resolver {
namespace {

namespace asio = boost::asio;
using testing::DnsEndpoint;

constexpr std::uint16_t kTypeA = 1;

std::string address_records(const std::string& owner, const std::string& prefix, int count) {
  std::string text;
  for (int i = 0; i < count; ++i)
    text +=
        owner + " A " + prefix + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) + "\n";
  return text;
}

std::string zone_head(const std::string& zone) {
  return "$ORIGIN " + zone + ".\n$TTL 3600\n@ SOA ns." + zone + ". hostmaster." + zone +
         ". 1 3600 600 86400 300\n@ NS ns." + zone + ".\nns A 127.0.0.53\n";
}

std::string outlook_zone() {
  return zone_head("outlook.com") +
         "@ MX 5 outlook-com.olc.protection.outlook.com.\n"
         "@ A 127.66.0.1\n@ A 127.66.0.2\n" +
         address_records("outlook-com.olc.protection", "127.20.", 60);
}

// Under a special-use name libunbound answers by itself (RFC 6761 "test.").
std::string test_zone() {
  return "$ORIGIN test.\n$TTL 3600\n@ SOA ns.test. hostmaster.test. 1 3600 600 86400 300\n"
         "@ NS ns.test.\nns A 127.0.0.53\nrelay MX 10 mx.relay.test.\nmx.relay A 127.2.0.20\n";
}

std::string example_net_zone() {
  return zone_head("example.net") + address_records("big", "127.21.", 300) +
         "big-mx MX 10 big.example.net.\n"
         "nullmx MX 0 .\nnullmx A 127.66.0.3\n"
         "implicit A 127.2.0.9\n"
         "missing-host MX 10 nowhere.example.net.\nmissing-host A 127.66.0.4\n"
         "cname-mx MX 10 alias.example.net.\n"
         "alias CNAME real.example.net.\nreal A 127.2.0.10\n"
         "pref MX 20 second.example.net.\npref MX 10 first.example.net.\n"
         "first A 127.2.0.11\nsecond A 127.2.0.12\n";
}

class RecordingObserver : public ResolverObserver {
 public:
  void on_query(const DnsAnswer& answer, std::chrono::nanoseconds latency) override {
    queries.push_back(answer.qname + "/" + to_string(answer.qtype));
    EXPECT_GE(latency.count(), 0);
  }
  void on_route(const RouteExplanation& explanation) override {
    routes.push_back(explanation.domain);
  }
  std::vector<std::string> queries;
  std::vector<std::string> routes;
};

class ResolverIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    nsd_ = std::make_unique<testing::NsdServer>(
        std::map<std::string, std::string>{{"outlook.com", outlook_zone()},
                                           {"example.net", example_net_zone()},
                                           {"test", test_zone()}});
    failing_ = std::make_unique<testing::FailingDnsServer>();
    silent_ = std::make_unique<testing::SilentDnsServer>();
  }
  static void TearDownTestSuite() {
    nsd_.reset();
    failing_.reset();
    silent_.reset();
  }

  static conf::DnsConfig dns_config() {
    conf::DnsConfig config;
    config.dnssec = false;
    config.query_timeout = std::chrono::seconds(5);
    auto nsd = nsd_->endpoint().unbound_syntax();
    config.stubs = {{"outlook.com", {nsd}},
                    {"example.net", {nsd}},
                    {"test.", {nsd}},
                    {"example.org", {failing_->endpoint().unbound_syntax()}},
                    {"example.com", {silent_->endpoint().unbound_syntax()}}};
    return config;
  }

  PolicyContext policy() const {
    PolicyContext context;
    context.mx_required = {"outlook.com", "mx-required.example.net"};
    context.own_names = {"relay.example.net"};
    return context;
  }

  template <typename T>
  T run(asio::awaitable<T> work) {
    auto result = asio::co_spawn(io_, std::move(work), asio::use_future);
    io_.run();
    io_.restart();
    return result.get();
  }

  RouteExplanation mx(const std::string& domain) { return run(resolver_.resolve_mx(domain, 25)); }

  static inline std::unique_ptr<testing::NsdServer> nsd_;
  static inline std::unique_ptr<testing::FailingDnsServer> failing_;
  static inline std::unique_ptr<testing::SilentDnsServer> silent_;

  asio::io_context io_;
  UnboundClient dns_{io_.get_executor(), dns_config()};
  RecordingObserver observer_;
  NextHopResolver resolver_{dns_, policy(), &observer_};
};

std::vector<std::string> query_names(const RouteExplanation& explanation) {
  std::vector<std::string> names;
  for (const auto& answer : explanation.queries)
    names.push_back(answer.qname + "/" + to_string(answer.qtype));
  return names;
}

TEST_F(ResolverIntegration, SixtyAddressAnswerTruncatesOverUdpAndArrivesWhole) {
  auto raw = testing::udp_query(nsd_->endpoint(), "outlook-com.olc.protection.outlook.com", kTypeA,
                                std::chrono::milliseconds(1000));
  ASSERT_TRUE(raw);
  EXPECT_TRUE(raw->truncated) << "NSD should truncate at 512 bytes";

  auto answer = run(dns_.query("outlook-com.olc.protection.outlook.com", RrType::a));
  EXPECT_EQ(answer.outcome, DnsOutcome::ok) << answer.error_text;
  EXPECT_EQ(answer.addresses.size(), 60u);
  EXPECT_GT(answer.answer_bytes, 512u);
  EXPECT_EQ(answer.ttl, 3600u);
  EXPECT_FALSE(answer.secure);
  EXPECT_FALSE(answer.bogus);
  EXPECT_EQ(answer.resolver_path, "stub outlook.com (" + nsd_->endpoint().unbound_syntax() + ")");
}

TEST_F(ResolverIntegration, ThreeHundredAddressRrsetIsComplete) {
  auto answer = run(dns_.query("big.example.net", RrType::a));
  ASSERT_EQ(answer.outcome, DnsOutcome::ok) << answer.error_text;
  EXPECT_EQ(std::set(answer.addresses.begin(), answer.addresses.end()).size(), 300u);
}

TEST_F(ResolverIntegration, OutlookComGoesToItsMxNeverToTheApex) {
  auto explanation = mx("outlook.com");
  ASSERT_TRUE(explanation.result) << explanation.result.error().str();
  ASSERT_EQ(explanation.result->size(), 5u);
  for (const auto& candidate : *explanation.result) {
    EXPECT_EQ(candidate.host, "outlook-com.olc.protection.outlook.com");
    EXPECT_EQ(candidate.preference, 5);
    EXPECT_TRUE(candidate.address.str().starts_with("127.20.0.")) << candidate.address.str();
  }
  auto names = query_names(explanation);
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "outlook.com/MX");
  EXPECT_EQ(std::ranges::count(names, "outlook.com/A"), 0);
  EXPECT_EQ(std::ranges::count(names, "outlook-com.olc.protection.outlook.com/A"), 1);
  EXPECT_EQ(explanation.queries[1].addresses.size() + explanation.queries[2].addresses.size(), 60u);
  EXPECT_EQ(observer_.queries, names);
  EXPECT_EQ(observer_.routes, std::vector<std::string>{"outlook.com"});
  EXPECT_NE(render_route_text(explanation).find("verdict: deliver"), std::string::npos);
}

// A configured stub zone wins over the local zone libunbound serves by itself for a
// special-use name (it would answer NXDOMAIN, and the mail would bounce 5.1.2).
TEST_F(ResolverIntegration, StubZoneUnderASpecialUseNameIsAsked) {
  auto route = mx("relay.test");
  ASSERT_TRUE(route.result) << route.result.error().str();
  ASSERT_EQ(route.result->size(), 1u);
  EXPECT_EQ(route.result->front().host, "mx.relay.test");
  EXPECT_EQ(route.result->front().address.str(), "127.2.0.20");
}

TEST_F(ResolverIntegration, MxPreferenceOrder) {
  auto explanation = mx("pref.example.net");
  ASSERT_TRUE(explanation.result) << explanation.result.error().str();
  ASSERT_EQ(explanation.result->size(), 2u);
  EXPECT_EQ((*explanation.result)[0].address.str(), "127.2.0.11");
  EXPECT_EQ((*explanation.result)[1].address.str(), "127.2.0.12");
}

TEST_F(ResolverIntegration, LargeRrsetCappedAtMaxAddresses) {
  auto explanation = mx("big-mx.example.net");
  ASSERT_TRUE(explanation.result) << explanation.result.error().str();
  EXPECT_EQ(explanation.result->size(), 5u);
  EXPECT_EQ(explanation.queries[1].addresses.size(), 300u);
}

TEST_F(ResolverIntegration, NullMxBounces) {
  auto explanation = mx("nullmx.example.net");
  ASSERT_FALSE(explanation.result);
  EXPECT_EQ(explanation.result.error().reply_code, 556);
  EXPECT_EQ(explanation.result.error().status, (core::EnhancedStatus{5, 1, 10}));
  EXPECT_EQ(explanation.queries.size(), 1u);
}

TEST_F(ResolverIntegration, NxdomainBounces) {
  auto explanation = mx("no-such-domain.example.net");
  ASSERT_FALSE(explanation.result);
  EXPECT_EQ(explanation.queries.front().outcome, DnsOutcome::nxdomain);
  EXPECT_EQ(explanation.result.error().reply_code, 550);
  EXPECT_EQ(explanation.result.error().status, (core::EnhancedStatus{5, 1, 2}));
}

TEST_F(ResolverIntegration, NoMxMeansImplicitMx) {
  auto explanation = mx("implicit.example.net");
  EXPECT_EQ(explanation.queries.front().outcome, DnsOutcome::nodata);
  ASSERT_TRUE(explanation.result) << explanation.result.error().str();
  EXPECT_TRUE(explanation.implicit_mx);
  ASSERT_EQ(explanation.result->size(), 1u);
  EXPECT_EQ(explanation.result->front().host, "implicit.example.net");
  EXPECT_EQ(explanation.result->front().address.str(), "127.2.0.9");
}

TEST_F(ResolverIntegration, MxToMissingHostDefersWithoutTheDomainsAddress) {
  auto explanation = mx("missing-host.example.net");
  ASSERT_FALSE(explanation.result);
  EXPECT_EQ(explanation.result.error().reply_code, 451);
  EXPECT_EQ(explanation.result.error().status, (core::EnhancedStatus{4, 4, 4}));
  EXPECT_EQ(std::ranges::count(query_names(explanation), "missing-host.example.net/A"), 0);
  EXPECT_EQ(std::ranges::count(query_names(explanation), "nowhere.example.net/A"), 1);
}

TEST_F(ResolverIntegration, CnamedMxHostIsFollowed) {
  auto explanation = mx("cname-mx.example.net");
  ASSERT_TRUE(explanation.result) << explanation.result.error().str();
  EXPECT_EQ(explanation.result->front().host, "alias.example.net");
  EXPECT_EQ(explanation.result->front().address.str(), "127.2.0.10");
  EXPECT_EQ(explanation.queries[1].canonical_name, "real.example.net");
}

TEST_F(ResolverIntegration, ServfailForMxDefersAndNeverAsksForTheDomainsA) {
  auto explanation = mx("broken.example.org");
  ASSERT_FALSE(explanation.result);
  EXPECT_FALSE(explanation.result.error().is_permanent());
  EXPECT_EQ(explanation.result.error().status, (core::EnhancedStatus{4, 4, 3}));
  EXPECT_EQ(query_names(explanation), std::vector<std::string>{"broken.example.org/MX"});
  EXPECT_EQ(explanation.queries.front().outcome, DnsOutcome::servfail);
  // The responder does answer A for that name: only the policy keeps it out.
  auto a = run(dns_.query("broken.example.org", RrType::a));
  EXPECT_EQ(a.outcome, DnsOutcome::ok);
}

TEST_F(ResolverIntegration, SilentServerTimesOutAndDefers) {
  auto config = dns_config();
  config.query_timeout = std::chrono::milliseconds(300);
  UnboundClient impatient(io_.get_executor(), config);
  NextHopResolver resolver(impatient, policy());
  auto started = std::chrono::steady_clock::now();
  auto explanation = run(resolver.resolve_mx("quiet.example.com", 25));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  ASSERT_EQ(explanation.queries.size(), 1u);
  EXPECT_EQ(explanation.queries.front().outcome, DnsOutcome::timeout);
  ASSERT_FALSE(explanation.result);
  EXPECT_EQ(explanation.result.error().status, (core::EnhancedStatus{4, 4, 3}));
}

TEST_F(ResolverIntegration, MxRequiredDomainWithoutMxDefers) {
  auto explanation = mx("implicit.example.net");
  ASSERT_TRUE(explanation.result);
  PolicyContext strict = policy();
  strict.mx_required.push_back("implicit.example.net");
  NextHopResolver resolver(dns_, strict);
  auto deferred = run(resolver.resolve_mx("implicit.example.net", 25));
  ASSERT_FALSE(deferred.result);
  EXPECT_EQ(deferred.result.error().status, (core::EnhancedStatus{4, 4, 3}));
  EXPECT_EQ(deferred.queries.size(), 1u);
}

TEST_F(ResolverIntegration, ResolveHostNeverAsksForMx) {
  auto explanation = run(resolver_.resolve_host("big.example.net", 2525));
  ASSERT_TRUE(explanation.result) << explanation.result.error().str();
  EXPECT_EQ(explanation.result->size(), 5u);
  EXPECT_EQ(explanation.result->front().port, 2525);
  for (const auto& answer : explanation.queries) EXPECT_NE(answer.qtype, RrType::mx);

  auto literal = run(resolver_.resolve_host("127.3.0.1", 2525));
  ASSERT_TRUE(literal.result);
  EXPECT_TRUE(literal.queries.empty());
  EXPECT_EQ(literal.result->front().address.str(), "127.3.0.1");
}

TEST(UnboundClientSetup, BadOptionIsAStartUpError) {
  asio::io_context io;
  conf::DnsConfig config;
  config.dnssec = false;
  config.unbound_options = {{"no-such-option", "1"}};
  EXPECT_THROW(UnboundClient(io.get_executor(), config), std::runtime_error);
  config.unbound_options.clear();
  config.dnssec = true;
  config.trust_anchor_file = "/nonexistent/root.key";
  EXPECT_THROW(UnboundClient(io.get_executor(), config), std::runtime_error);
}

}  // namespace
}  // namespace mxrelay::resolver
