// mta/tls_report: the aggregate report of RFC 8460 section 4 for one recipient domain and
// period, as JSON: organization-name, date-range {start-datetime, end-datetime} (RFC 3339,
// UTC), contact-info, report-id, policies[] each with policy {policy-type, policy-string,
// policy-domain, mx-host}, summary {total-successful-session-count,
// total-failure-session-count} and failure-details[] {result-type, sending-mta-ip,
// receiving-mx-hostname, receiving-ip, failed-session-count} (empty members left out).
// Pure.
#pragma once

#include <cstdint>
#include <string>

#include "mta/tls_report/report_store.hpp"

namespace mxrelay::mta::tlsrpt {

struct ReportIdentity {
  std::string organization;  // organization-name
  std::string contact;       // contact-info
};

std::string report_json(const ReportIdentity& identity, const PendingReport& report);

// 1700000000 -> "2023-11-14T22:13:20Z"
std::string rfc3339_utc(std::int64_t unix_seconds);

}  // namespace mxrelay::mta::tlsrpt
