// tests/mta/control: `mxrelay queue summary` from plain queue entries: one row per site and
// reason with the earliest next attempt, most messages first, held and unattempted mail named.
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

}  // namespace
}  // namespace mxrelay::mta
