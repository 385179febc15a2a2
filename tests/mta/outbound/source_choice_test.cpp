// Tests for the choice of a delivery attempt's source address and the candidates it then
// tries: table-driven, with a fixed clock.
#include "mta/outbound/source_choice.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mxrelay::mta {
namespace {

using std::chrono::seconds;
using Clock = std::chrono::steady_clock;
const Clock::time_point kNow = Clock::time_point() + std::chrono::hours(1);

SourceOption option(std::size_t open, std::size_t limit, std::uint64_t last_chosen = 0) {
  SourceOption out;
  out.open = open;
  out.limit = limit;
  out.next_slot = kNow;
  out.last_chosen = last_chosen;
  return out;
}

SourceOption suspended(SourceOption base) {
  base.suspended = true;
  return base;
}

SourceOption slot_at(SourceOption base, Clock::time_point at) {
  base.next_slot = at;
  return base;
}

SourceOption keeping_slot(SourceOption base) {
  base.keeps_slot = true;
  return base;
}

TEST(ChooseSource, PicksBySuspensionSlotRoomConnectionsAndRoundRobin) {
  struct Row {
    const char* what;
    std::vector<SourceOption> options;
    std::size_t chosen;
  };
  const std::vector<Row> rows{
      {"one source", {option(5, 2)}, 0},
      {"the fewest connections", {option(2, 10), option(1, 10)}, 1},
      {"equal: the one chosen longest ago", {option(1, 10, 7), option(1, 10, 3)}, 1},
      {"never chosen before one chosen", {option(0, 0, 1), option(0, 0, 0)}, 1},
      {"at its limit: the other has room, even with more connections",
       {option(2, 2), option(3, 5)},
       1},
      {"both full: the fewest connections", {option(3, 2), option(2, 2)}, 1},
      {"a suspended source is avoided", {suspended(option(0, 2)), option(1, 2)}, 1},
      {"a suspended source is avoided even when the other is full",
       {suspended(option(0, 2)), option(2, 2)},
       1},
      {"all suspended: still one of them", {suspended(option(1, 2)), suspended(option(0, 2))}, 1},
      {"a rate slot far off is no room",
       {slot_at(option(0, 0), kNow + seconds(30)), option(1, 0)},
       1},
      {"a slot within the wait is room",
       {slot_at(option(0, 0), kNow + seconds(1)), option(1, 0)},
       0},
      {"no room anywhere: the earlier slot",
       {slot_at(option(0, 0), kNow + seconds(30)), slot_at(option(0, 0), kNow + seconds(10))},
       1},
      {"the source keeping the message's slot, though busier",
       {option(0, 5), keeping_slot(slot_at(option(4, 5), kNow + seconds(20)))},
       1},
      {"a kept slot on a suspended source does not count",
       {option(1, 5), keeping_slot(suspended(option(0, 5)))},
       0},
  };
  for (const auto& row : rows) EXPECT_EQ(choose_source(row.options, kNow), row.chosen) << row.what;
}

core::IpAddress ip(const char* text) {
  return *core::IpAddress::parse(text);
}

resolver::Candidate candidate(const char* address) {
  return resolver::Candidate{"mx.example", 10, ip(address), 25};
}

std::vector<std::string> texts(const std::vector<core::IpAddress>& addresses) {
  std::vector<std::string> out;
  for (const auto& address : addresses) out.push_back(address.str());
  return out;
}

std::vector<std::string> texts(const std::vector<resolver::Candidate>& candidates) {
  std::vector<std::string> out;
  for (const auto& candidate : candidates) out.push_back(candidate.address.str());
  return out;
}

TEST(UsableSources, ThoseOfAFamilyTheNextHopHas) {
  const std::vector<core::IpAddress> configured{ip("127.0.0.5"), ip("::1"), ip("127.0.0.6")};
  struct Row {
    const char* what;
    std::vector<resolver::Candidate> candidates;
    std::vector<std::string> usable;
  };
  const std::vector<Row> rows{
      {"IPv4 only", {candidate("127.0.0.9")}, {"127.0.0.5", "127.0.0.6"}},
      {"IPv6 only", {candidate("::1")}, {"::1"}},
      {"both", {candidate("::1"), candidate("127.0.0.9")}, {"127.0.0.5", "::1", "127.0.0.6"}},
      {"none", {}, {}},
  };
  for (const auto& row : rows)
    EXPECT_EQ(texts(usable_sources(configured, row.candidates)), row.usable) << row.what;
}

TEST(CandidatesFrom, TheSourcesFamilyAndFamiliesWithoutASource) {
  const std::vector<resolver::Candidate> candidates{candidate("::2"), candidate("127.0.0.9"),
                                                    candidate("::3"), candidate("127.0.0.10")};
  struct Row {
    const char* what;
    std::vector<core::IpAddress> configured;
    std::optional<core::IpAddress> source;
    std::vector<std::string> tried;
  };
  const std::vector<Row> rows{
      {"no source configured: all", {}, std::nullopt, {"::2", "127.0.0.9", "::3", "127.0.0.10"}},
      {"IPv4 sources only: IPv6 left to the kernel, in order",
       {ip("127.0.0.5"), ip("127.0.0.6")},
       ip("127.0.0.6"),
       {"::2", "127.0.0.9", "::3", "127.0.0.10"}},
      {"both families configured: the source's only",
       {ip("127.0.0.5"), ip("::1")},
       ip("::1"),
       {"::2", "::3"}},
      {"both families configured, an IPv4 source",
       {ip("127.0.0.5"), ip("::1")},
       ip("127.0.0.5"),
       {"127.0.0.9", "127.0.0.10"}},
  };
  for (const auto& row : rows)
    EXPECT_EQ(texts(candidates_from(candidates, row.source, row.configured)), row.tried)
        << row.what;
}

}  // namespace
}  // namespace mxrelay::mta
