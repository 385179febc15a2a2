// tests/mta/shaping: site_for() and host_has_suffix(), table-driven over the built-in sites.
#include "mta/shaping/site_matcher.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace mxrelay::mta {
namespace {

TEST(SiteMatcher, HostsAreMatchedByLabelBoundarySuffixes) {
  const auto sites = conf::default_shaping_sites();
  struct Row {
    std::vector<std::string> hosts;
    const char* site;  // nullptr: its own site
  };
  const std::vector<Row> rows = {
      {{"outlook-com.olc.protection.outlook.com"}, "microsoft"},
      {{"contoso-com.mail.protection.outlook.com"}, "microsoft"},
      {{"contoso-com.a-v1.mx.microsoft"}, "microsoft"},
      {{"gmail-smtp-in.l.google.com"}, "google"},
      {{"alt1.aspmx.l.googlemail.com"}, "google"},
      {{"mta5.am0.yahoodns.net"}, "yahoo"},
      {{"outlook.com"}, nullptr},                 // the domain itself is not its MX
      {{"evilprotection.outlook.com"}, nullptr},  // no label boundary
      {{"mail.protection.outlook.com.evil"}, nullptr},
      {{"google.com"}, "google"},                            // the suffix's own name
      {{"mx.example.net", "aspmx.l.google.com"}, "google"},  // first matching host in order
      {{}, nullptr},
  };
  for (const auto& row : rows) {
    const auto* site = site_for(sites, row.hosts);
    const std::string what = row.hosts.empty() ? "(no hosts)" : row.hosts.front();
    if (!row.site)
      EXPECT_EQ(site, nullptr) << what;
    else
      EXPECT_TRUE(site && site->site == row.site) << what;
  }
}

TEST(SiteMatcher, SuffixRules) {
  EXPECT_TRUE(host_has_suffix("a.b.example", ".b.example"));
  EXPECT_TRUE(host_has_suffix("b.example", ".b.example"));
  EXPECT_FALSE(host_has_suffix("ab.example", ".b.example"));
  EXPECT_FALSE(host_has_suffix("a.b.example", "b.example"));  // a suffix starts with a dot
  EXPECT_FALSE(host_has_suffix("a.b.example", "."));
}

}  // namespace
}  // namespace mxrelay::mta
