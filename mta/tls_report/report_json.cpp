// mta/tls_report: rendering the RFC 8460 JSON report (see report_json.hpp).
#include "mta/tls_report/report_json.hpp"

#include <boost/json.hpp>
#include <cstdio>
#include <ctime>

namespace mxrelay::mta::tlsrpt {

namespace json = boost::json;

namespace {

json::array strings_of(const std::vector<std::string>& strings) {
  json::array out;
  for (const auto& text : strings) out.emplace_back(text);
  return out;
}

json::object failure_detail(const FailureKey& key, std::uint64_t count) {
  json::object out{{"result-type", to_string(key.result)}};
  if (!key.sending_ip.empty()) out["sending-mta-ip"] = key.sending_ip;
  if (!key.receiving_mx.empty()) out["receiving-mx-hostname"] = key.receiving_mx;
  if (!key.receiving_ip.empty()) out["receiving-ip"] = key.receiving_ip;
  out["failed-session-count"] = count;
  return out;
}

json::object policy_entry(const PolicyKey& key, const PolicyCounts& counts) {
  json::object policy{{"policy-type", key.type}};
  if (!key.strings.empty()) policy["policy-string"] = strings_of(key.strings);
  policy["policy-domain"] = key.domain;
  if (!key.mx_hosts.empty()) policy["mx-host"] = strings_of(key.mx_hosts);
  json::array details;
  for (const auto& [failure, count] : counts.details)
    details.push_back(failure_detail(failure, count));
  json::object out{{"policy", std::move(policy)},
                   {"summary",
                    {{"total-successful-session-count", counts.successes},
                     {"total-failure-session-count", counts.failures}}}};
  if (!details.empty()) out["failure-details"] = std::move(details);
  return out;
}

}  // namespace

std::string rfc3339_utc(std::int64_t unix_seconds) {
  const auto seconds = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string report_json(const ReportIdentity& identity, const PendingReport& report) {
  json::array policies;
  for (const auto& [key, counts] : report.policies) policies.push_back(policy_entry(key, counts));
  return json::serialize(json::object{
      {"organization-name", identity.organization},
      {"date-range",
       {{"start-datetime", rfc3339_utc(report.begin)}, {"end-datetime", rfc3339_utc(report.end)}}},
      {"contact-info", identity.contact},
      {"report-id", report.report_id},
      {"policies", std::move(policies)}});
}

}  // namespace mxrelay::mta::tlsrpt
