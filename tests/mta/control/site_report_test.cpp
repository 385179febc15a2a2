// tests/mta/control: `mxrelay queue summary` from plain queue entries: one row per site and
// reason with the earliest next attempt, most messages first, held and unattempted mail named;
// a site's state across the cluster from its shares', as JSON and text.
#include "mta/control/site_report.hpp"

#include <gtest/gtest.h>

#include <map>

namespace mxrelay::mta {
namespace {

queue::QueueEntryView entry(std::vector<std::string> recipients, std::string last_error,
                            std::int64_t next_attempt) {
  queue::QueueEntryView out;
  for (auto& address : recipients)
    out.recipients.push_back({std::move(address), queue::RecipientState::pending});
  out.last_error = std::move(last_error);
  out.next_attempt_unix = next_attempt;
  return out;
}

const std::map<std::string, std::string> kSites = {
    {"outlook.com", "microsoft"}, {"hotmail.com", "microsoft"}, {"example.net", "other"}};

std::string site_of(const std::string& domain) {
  const auto found = kSites.find(domain);
  return found == kSites.end() ? std::string() : found->second;
}

TEST(SiteReport, QueueSummaryCountsPerSiteAndReason) {
  const std::string suspended = "site microsoft is suspended after the reply: 451 4.7.650 x";
  std::vector<queue::QueueEntryView> entries = {
      entry({"a@outlook.com"}, suspended, 300),
      entry({"b@hotmail.com"}, suspended, 200),
      entry({"c@outlook.com", "d@hotmail.com"}, suspended, 400),  // one message, one site
      entry({"e@example.net", "f@outlook.com"}, "451 4.3.0 busy", 500),
      entry({"g@new.example"}, "", 100),
  };
  auto held = entry({"h@example.net"}, "451 4.3.0 busy", 50);
  held.held = true;
  entries.push_back(held);
  auto delivered = entry({"i@outlook.com"}, suspended, 10);
  delivered.recipients[0].state = queue::RecipientState::delivered;
  entries.push_back(delivered);

  const auto rows = queue_summary(entries, site_of);
  ASSERT_EQ(rows.size(), 5u) << boost::json::serialize(rows);
  const auto& first = rows[0].as_object();
  EXPECT_EQ(first.at("site").as_string(), "microsoft");
  EXPECT_EQ(first.at("reason").as_string(), suspended);
  EXPECT_EQ(first.at("messages").to_number<std::int64_t>(), 3);
  EXPECT_EQ(first.at("next_attempt").to_number<std::int64_t>(), 200);
  std::map<std::pair<std::string, std::string>, std::int64_t> counts;
  for (const auto& row : rows)
    counts[{std::string(row.at("site").as_string()), std::string(row.at("reason").as_string())}] =
        row.at("messages").to_number<std::int64_t>();
  EXPECT_EQ((counts[{"other", "451 4.3.0 busy"}]), 1);
  EXPECT_EQ((counts[{"microsoft", "451 4.3.0 busy"}]), 1);
  EXPECT_EQ((counts[{"unrouted", "not attempted yet"}]), 1);
  EXPECT_EQ((counts[{"other", "held"}]), 1);

  const auto text = render_queue_summary(rows);
  EXPECT_TRUE(text.starts_with("SITE                 MESSAGES  NEXT ATTEMPT (UTC)   LAST REASON\n"))
      << text;
  EXPECT_NE(text.find("microsoft                   3  "), std::string::npos) << text;
  EXPECT_EQ(
      render_queue_summary(boost::json::array{}),
      "SITE                 MESSAGES  NEXT ATTEMPT (UTC)   LAST REASON\n(the queue is empty)\n");
}

TEST(SiteReport, ClusterStatusFromTheShares) {
  const ShareState idle{"peer", 0, std::nullopt};
  const ShareState busy{"peer@127.0.0.1", 3, SuspensionRecord{"a", 2000, "451 4.7.650 slow"}};
  const ShareState later{"peer@127.0.0.2", 1, SuspensionRecord{"b", 9000, "421 go away"}};
  struct Row {
    bool shared;
    std::vector<const ShareState*> shares;
    std::optional<std::size_t> connections;
    std::string suspended_by;
  } rows[] = {
      {true, {}, std::nullopt, ""},  // not polled yet, or Redis did not answer
      {false, {}, std::nullopt, ""},   {true, {&idle}, 0, ""},
      {true, {&idle, &busy}, 3, "a"},  {true, {&busy, &later}, 4, "b"},  // the longest suspension
      {true, {&later, &busy}, 4, "b"},
  };
  for (const auto& row : rows) {
    const auto status = cluster_status(row.shared, row.shares);
    EXPECT_EQ(status.shared, row.shared);
    EXPECT_EQ(status.connections, row.connections);
    EXPECT_EQ(status.suspended_by, row.suspended_by);
    EXPECT_EQ(status.suspended_until.has_value(), !row.suspended_by.empty());
  }
}

TEST(SiteReport, ClusterSummaryNamesTheLimitsInForce) {
  EXPECT_TRUE(cluster_summary({SiteStatus{}}).is_null());  // no [cluster]
  SiteStatus shared;
  shared.view.site = "peer";
  shared.cluster = ClusterShareStatus{
      true, 3, std::chrono::system_clock::time_point(std::chrono::seconds(1764870000)), "relay-a",
      "451 4.7.650 slow"};
  SiteStatus fallback;
  fallback.view.site = "other";
  fallback.cluster = ClusterShareStatus{false, std::nullopt, std::nullopt, "", ""};
  const auto summary = cluster_summary({shared, fallback});
  ASSERT_TRUE(summary.is_array());
  const auto& rows = summary.as_array();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("site").as_string(), "peer");
  EXPECT_EQ(rows[0].at("limits").as_string(), "cluster");
  EXPECT_EQ(rows[0].at("connections").to_number<std::int64_t>(), 3);
  EXPECT_EQ(rows[0].at("suspended_until").to_number<std::int64_t>(), 1764870000);
  EXPECT_EQ(rows[1].at("limits").as_string(), "fallback");
  EXPECT_TRUE(rows[1].at("connections").is_null());
  const auto text = render_cluster_summary(rows);
  EXPECT_NE(text.find("peer: the cluster's limits, 3 connection(s) open, suspended by relay-a"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("other: Redis unavailable: this relay keeps to its fallback share"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace mxrelay::mta
