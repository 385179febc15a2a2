// tests/resolver: candidate_hosts(): each host once, in the order of its first candidate.
#include "resolver/candidate_hosts.hpp"

#include <gtest/gtest.h>

namespace mxrelay::resolver {
namespace {

Candidate at(std::string host, const char* address) {
  return Candidate{std::move(host), 10, *core::IpAddress::parse(address), 25};
}

TEST(CandidateHosts, EachHostOnceInTheOrderTried) {
  const std::vector<Candidate> candidates = {
      at("mx2.example.com", "192.0.2.2"), at("mx1.example.com", "192.0.2.1"),
      at("mx2.example.com", "2001:db8::2"), at("mx1.example.com", "192.0.2.11")};
  EXPECT_EQ(candidate_hosts(candidates),
            (std::vector<std::string>{"mx2.example.com", "mx1.example.com"}));
  EXPECT_TRUE(candidate_hosts({}).empty());
}

}  // namespace
}  // namespace mxrelay::resolver
