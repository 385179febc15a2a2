// tests/resolver: `route --compare`: which differences between resolver paths count as a
// disagreement, the exit status, and the side-by-side text and JSON.
#include "resolver/route_comparison.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>

#include "policy_test_support.hpp"

namespace mxrelay::resolver {
namespace {

using namespace testing;

// example.com MX 10 mx1.example.com, mx1 A 192.0.2.1 192.0.2.2: delivered.
RouteExplanation geo_site_a() {
  RouteExplanation explanation;
  explanation.domain = "example.com";
  explanation.lookup_name = "example.com";
  explanation.queries.push_back(mx_of("example.com", {{10, "mx1.example.com"}}));
  explanation.queries.back().ttl = 3600;
  explanation.queries.back().answer_bytes = 70;
  explanation.queries.push_back(a_of("mx1.example.com", {"192.0.2.1", "192.0.2.2"}));
  explanation.queries.back().ttl = 300;
  explanation.result =
      std::vector<Candidate>{{"mx1.example.com", 10, *core::IpAddress::parse("192.0.2.1"), 25},
                             {"mx1.example.com", 10, *core::IpAddress::parse("192.0.2.2"), 25}};
  return explanation;
}

RouteExplanation deferred(RouteExplanation explanation) {
  explanation.result =
      std::unexpected(core::Failure::temporary(451, {4, 4, 3}, "MX lookup failed"));
  return explanation;
}

struct Case {
  const char* name;
  std::function<void(RouteExplanation&)> change;  // applied to the second path's route
  bool agree;
  int exit_status;
  std::vector<std::string> marked;  // rows marked ! or ~, in order: mark, space, item
};

// The marked rows as the text shows them.
std::vector<std::string> marked_rows(const std::string& text) {
  std::vector<std::string> marked;
  std::size_t start = 0;
  for (auto end = text.find('\n'); end != std::string::npos; end = text.find('\n', start)) {
    auto line = text.substr(start, end - start);
    if (line.starts_with('!') || line.starts_with('~')) {
      auto item_end = line.find("  ", line.find_first_not_of(' ', 1));
      marked.push_back(line.substr(0, item_end == std::string::npos ? line.size() : item_end));
    }
    start = end + 1;
  }
  return marked;
}

TEST(RouteComparison, WhichDifferencesCount) {
  const std::vector<Case> cases = {
      {"identical", [](RouteExplanation&) {}, true, 0, {}},
      {"ttl only", [](RouteExplanation& r) { r.queries[1].ttl = 60; }, true, 0, {"~   ttl"}},
      {"size and dnssec only",
       [](RouteExplanation& r) {
         r.queries[0].answer_bytes = 512;
         r.queries[0].secure = true;
       },
       true,
       0,
       {"~   dnssec", "~   bytes"}},
      {"same records in another order",
       [](RouteExplanation& r) {
         std::swap(r.queries[1].addresses[0], r.queries[1].addresses[1]);
         std::swap((*r.result)[0], (*r.result)[1]);
       },
       true,
       0,
       {}},
      {"another MX target (geo DNS)",
       [](RouteExplanation& r) {
         r.queries[0].mx = {{10, "mx2.example.com"}};
         r.queries[1] = a_of("mx2.example.com", {"198.51.100.7"});
         r.result = std::vector<Candidate>{
             {"mx2.example.com", 10, *core::IpAddress::parse("198.51.100.7"), 25}};
       },
       false,
       3,
       {"!   records", "! mx1.example.com A", "!   records", "! mx2.example.com A", "!   records",
        "~   detail"}},
      {"another MX preference",
       [](RouteExplanation& r) { r.queries[0].mx[0].preference = 20; },
       false,
       3,
       {"!   records"}},
      {"one address fewer",
       [](RouteExplanation& r) { r.queries[1].addresses.pop_back(); },
       false,
       3,
       {"!   records"}},
      {"servfail there: defer",
       [](RouteExplanation& r) {
         r.queries = {answer_of("example.com", RrType::mx, DnsOutcome::servfail)};
         r = deferred(r);
       },
       false,
       3,
       {"! example.com MX", "!   records", "~   ttl", "~   bytes", "! mx1.example.com A",
        "!   records", "! verdict", "~   detail"}},
  };
  for (const auto& c : cases) {
    auto other = geo_site_a();
    c.change(other);
    auto comparison =
        compare_routes({{"configured (recursion)", geo_site_a()}, {"via 127.0.0.2@53", other}});
    EXPECT_EQ(comparison.agree(), c.agree) << c.name;
    EXPECT_EQ(comparison.exit_status(), c.exit_status) << c.name;
    auto text = render_comparison_text(comparison);
    EXPECT_EQ(marked_rows(text), c.marked) << c.name << "\n" << text;
  }
}

TEST(RouteComparison, AgreementExitStatusFollowsTheCommonVerdict) {
  struct VerdictCase {
    RouteResult result;
    int exit_status;
  };
  const std::vector<VerdictCase> cases = {
      {std::vector<Candidate>{}, 0},
      {std::unexpected(core::Failure::temporary(451, {4, 4, 3}, "timeout")), 75},
      {std::unexpected(core::Failure::permanent(556, {5, 1, 10}, "null MX")), 1},
  };
  for (const auto& c : cases) {
    auto route = geo_site_a();
    route.result = c.result;
    auto comparison = compare_routes({{"a", route}, {"b", route}, {"c", route}});
    EXPECT_TRUE(comparison.agree());
    EXPECT_EQ(comparison.exit_status(), c.exit_status);
  }
}

TEST(RouteComparison, TextShowsPathsSideBySide) {
  auto other = geo_site_a();
  other.queries[1].addresses = {*core::IpAddress::parse("203.0.113.9")};
  other.queries[1].ttl = 30;
  auto text = render_comparison_text(compare_routes(
      {{"configured (forwarder 127.0.0.1@53)", geo_site_a()}, {"via 127.0.0.2@53", other}}));
  for (const char* fact :
       {"route comparison for example.com\n", "  [1] configured (forwarder 127.0.0.1@53)\n",
        "  [2] via 127.0.0.2@53\n", "  example.com MX", "ok rcode=0", "10 mx1.example.com",
        "192.0.2.1", "203.0.113.9", "insecure", "verdict", "2 candidate(s)",
        "result: the resolver paths DISAGREE (1 row(s) marked !); 1 informational "
        "difference(s) marked ~\n"})
    EXPECT_NE(text.find(fact), std::string::npos) << fact << "\n" << text;
  // The second address of path 1 is on its own line, under the first.
  auto first = text.find("192.0.2.1");
  auto second = text.find("192.0.2.2");
  ASSERT_NE(second, std::string::npos);
  EXPECT_EQ(text.rfind('\n', first) - first, text.rfind('\n', second) - second);
}

TEST(RouteComparison, JsonCarriesRowsAndAgreement) {
  auto other = geo_site_a();
  other.notes.push_back("skipped MX host localhost: loops back");
  auto root = boost::json::parse(
                  render_comparison_json(compare_routes({{"a", geo_site_a()}, {"b", other}})))
                  .as_object();
  EXPECT_EQ(root.at("domain").as_string(), "example.com");
  EXPECT_TRUE(root.at("agree").as_bool());
  EXPECT_EQ(root.at("exit_status").as_int64(), 0);
  const auto& paths = root.at("paths").as_array();
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(paths[1].at("path").as_string(), "b");
  EXPECT_EQ(paths[1].at("verdict").as_string(), "deliver");
  const auto& rows = root.at("rows").as_array();
  const auto& notes = rows.back().as_object();
  EXPECT_EQ(notes.at("item").as_string(), "notes");
  EXPECT_FALSE(notes.at("must_agree").as_bool());
  EXPECT_TRUE(notes.at("differs").as_bool());
  EXPECT_EQ(notes.at("cells").as_array()[1].as_array()[0].as_string(),
            "skipped MX host localhost: loops back");
  const auto& records = rows[1].as_object();
  EXPECT_EQ(records.at("item").as_string(), "  records");
  EXPECT_EQ(records.at("cells").as_array()[0].as_array().size(), 1u);
}

TEST(RouteComparisonPaths, WhichResolverPathsAreAsked) {
  conf::DnsConfig forwarding;
  forwarding.forwarders = {"127.0.0.1@5353", "::1"};
  conf::DnsConfig stubbed;
  stubbed.stubs = {{"example.com", {"127.0.0.3@53", "127.0.0.4@53"}},
                   {"other.example.com", {"127.0.0.5@53"}}};
  struct PathCase {
    const char* name;
    conf::DnsConfig dns;
    std::string domain;
    std::vector<std::string> via;
    // Each path's label and the forwarders / servers of the covering stub it uses.
    std::vector<std::string> expected;
  };
  auto describe = [](const ResolverPathConfig& path, std::string_view domain) {
    std::string text = path.path + " |";
    for (const auto& forwarder : path.dns.forwarders) text += " fwd " + forwarder;
    for (const auto& stub : path.dns.stubs)
      if (stub.zone == domain)
        for (const auto& server : stub.servers) text += " " + stub.zone + " " + server;
    return text;
  };
  const std::vector<PathCase> cases = {
      {"recursion, no via", {}, "example.net", {}, {"configured (recursion) |"}},
      {"two forwarders and a via", forwarding, "example.net", {"127.0.0.9", "[::1]@53"}, {}},
      {"forwarders alone",
       forwarding,
       "example.net",
       {"127.0.0.9", "::2@5300", "recursion"},
       {"configured (forwarder 127.0.0.1@5353, ::1) | fwd 127.0.0.1@5353 fwd ::1",
        "forwarder 127.0.0.1@5353 | fwd 127.0.0.1@5353", "forwarder ::1 | fwd ::1",
        "via 127.0.0.9@53 | fwd 127.0.0.9@53", "via ::2@5300 | fwd ::2@5300", "via recursion |"}},
      {"the covering stub's servers alone",
       stubbed,
       "example.com",
       {},
       {"configured (stub example.com (127.0.0.3@53, 127.0.0.4@53)) | example.com 127.0.0.3@53 "
        "example.com 127.0.0.4@53",
        "stub example.com server 127.0.0.3@53 | example.com 127.0.0.3@53",
        "stub example.com server 127.0.0.4@53 | example.com 127.0.0.4@53"}},
      {"a stub with one server is not split",
       stubbed,
       "other.example.com",
       {},
       {"configured (stub other.example.com (127.0.0.5@53)) | other.example.com 127.0.0.5@53"}},
  };
  for (const auto& c : cases) {
    auto paths = paths_to_compare(c.dns, c.domain, c.via);
    if (c.expected.empty()) {
      ASSERT_FALSE(paths) << c.name;
      EXPECT_EQ(paths.error(),
                "--via [::1]@53: not an IPv4 or IPv6 address with an optional @port");
      continue;
    }
    ASSERT_TRUE(paths) << c.name << ": " << paths.error();
    std::vector<std::string> described;
    for (const auto& path : *paths) described.push_back(describe(path, c.domain));
    EXPECT_EQ(described, c.expected) << c.name;
  }
}

}  // namespace
}  // namespace mxrelay::resolver
