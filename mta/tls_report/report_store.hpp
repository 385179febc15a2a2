// mta/tls_report: the TLS-RPT counters (RFC 8460) as data: the open period's session counts
// per policy (recipient domain, policy type, policy string, MX patterns) with success and
// failure totals and failure details keyed by (result type, sending address, receiving MX,
// receiving address); and the closed periods' reports still to be sent, one per recipient
// domain. Failure details are capped per policy (kMaxFailureDetails distinct keys; further
// failures are aggregated into one detail per result type without addresses). The whole
// store round-trips through a JSON text (the file under the spool). Pure.
#pragma once

#include <compare>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "mta/tls_report/tls_result.hpp"

namespace mxrelay::mta::tlsrpt {

inline constexpr std::size_t kMaxFailureDetails = 100;
// A report that could not be delivered to any of its rua is tried at most this often.
inline constexpr unsigned kMaxSendAttempts = 5;

// RFC 8460 4.4 policy-type values used here.
inline constexpr std::string_view kPolicySts = "sts";
inline constexpr std::string_view kPolicyTlsa = "tlsa";
inline constexpr std::string_view kNoPolicy = "no-policy-found";

struct PolicyKey {
  std::string domain;                 // the recipient (policy) domain, canonical A-label
  std::string type;                   // sts, tlsa or no-policy-found
  std::vector<std::string> strings;   // policy-string: the policy's lines, or TLSA records
  std::vector<std::string> mx_hosts;  // mx-host: the STS policy's mx patterns
  auto operator<=>(const PolicyKey&) const = default;
};

struct FailureKey {
  Result result = Result::validation_failure;
  std::string sending_ip;    // "" when aggregated or unknown
  std::string receiving_mx;  // the MX host name
  std::string receiving_ip;
  auto operator<=>(const FailureKey&) const = default;
};

struct PolicyCounts {
  std::uint64_t successes = 0;
  std::uint64_t failures = 0;
  std::map<FailureKey, std::uint64_t> details;
};

using PolicyMap = std::map<PolicyKey, PolicyCounts>;

// One session (or refused candidate, or failed policy lookup) to count.
struct Observation {
  PolicyKey policy;
  Result result = Result::success;
  std::string sending_ip;
  std::string receiving_mx;
  std::string receiving_ip;
};

// A closed period's report for one domain, waiting to be sent.
struct PendingReport {
  std::string domain;
  std::int64_t begin = 0;  // Unix seconds, the period [begin, end)
  std::int64_t end = 0;
  std::string report_id;
  PolicyMap policies;
  unsigned attempts = 0;              // sends tried so far
  bool looked_up = false;             // the _smtp._tls record was read (rua_left is its rua)
  std::vector<std::string> rua_left;  // the rua not yet delivered to
};

class ReportStore {
 public:
  explicit ReportStore(std::int64_t period_begin = 0) : begin_(period_begin) {}

  void record(const Observation& observation);
  // Ends the open period at `end`: one pending report per domain seen (report_id(domain)
  // names each), and a new period begins at `end`.
  void close(std::int64_t end, const std::function<std::string(const std::string&)>& report_id);

  std::int64_t period_begin() const { return begin_; }
  const PolicyMap& open() const { return open_; }
  std::vector<PendingReport>& pending() { return pending_; }
  const std::vector<PendingReport>& pending() const { return pending_; }

  std::string serialize() const;
  static std::expected<ReportStore, std::string> parse(std::string_view text);

 private:
  std::int64_t begin_;
  PolicyMap open_;
  std::vector<PendingReport> pending_;
};

// 00:00:00 UTC of the day holding `unix_seconds`, and of the next day.
std::int64_t utc_day_start(std::int64_t unix_seconds);
std::int64_t next_utc_day(std::int64_t unix_seconds);

}  // namespace mxrelay::mta::tlsrpt
