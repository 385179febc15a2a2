// mta/mta_sts: the MTA-STS policy (RFC 8461 section 3.2) as a value, its strict parser and
// the match of an MX host against the policy's mx patterns (section 4.1). Pure.
// A policy file is "key: value" lines separated by CRLF or LF; version (STSv1), mode
// (enforce, testing, none) and max_age (0..31557600 seconds) appear once each, mx at least
// once unless the mode is none; unknown keys are ignored as the RFC requires.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace mxrelay::mta::sts {

enum class Mode { enforce, testing, none };
std::string_view to_string(Mode mode);

inline constexpr std::uint32_t kMaxMaxAge = 31557600;  // about one year (RFC 8461 3.2)

struct Policy {
  Mode mode = Mode::none;
  std::vector<std::string> mx;  // patterns in canonical form: "mx.example.com", "*.example.net"
  std::uint32_t max_age = 0;    // seconds
};

// The policy in force for one recipient domain, with the TXT id it was fetched for.
struct DomainPolicy {
  std::string domain;  // the policy domain (the recipient domain, A-label)
  std::string id;
  Policy policy;
  // "MTA-STS policy of example.com (id 2024A, mode enforce)", for reasons and logs.
  std::string describe() const;
};

// The policy in `body`, or why it is invalid.
std::expected<Policy, std::string> parse_policy(std::string_view body);

// RFC 8461 4.1: "*.example.com" matches exactly one more label ("mx.example.com", not
// "a.b.example.com" nor "example.com"); other patterns match the name itself. Ignores ASCII
// case and a trailing dot.
bool mx_pattern_matches(std::string_view pattern, std::string_view host);
bool policy_lists_mx(const Policy& policy, std::string_view host);

}  // namespace mxrelay::mta::sts
