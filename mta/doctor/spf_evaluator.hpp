// mta/doctor: the SPF check_host() function (RFC 7208 4, 5): fetches the record, walks its
// mechanisms and the include/redirect chain under the 10-lookup and 2-void-lookup limits.
// DNS comes through an injected function returning resolver::DnsAnswer values, so the
// evaluation is pure and unit tests feed it answers from a table.
#pragma once

#include <functional>
#include <string>

#include "core/ip_address.hpp"
#include "resolver/dns_answer.hpp"

namespace mxrelay::mta::doctor {

enum class SpfResult { none, neutral, pass, fail, softfail, temperror, permerror };
const char* to_string(SpfResult result);

using SpfLookup = std::function<resolver::DnsAnswer(const std::string& name, resolver::RrType)>;

struct SpfQuery {
  core::IpAddress ip;
  std::string domain;  // the MAIL FROM domain (or the HELO name)
  std::string sender;  // "local@domain"; empty: postmaster@domain
  std::string helo;
};

struct SpfVerdict {
  SpfResult result = SpfResult::none;
  std::string record;  // the domain's own SPF record text; "" when none was found
  std::string reason;  // the mechanism that matched, "default" (none did), or the error
  unsigned dns_lookups = 0;
};

inline constexpr unsigned kSpfMaxDnsLookups = 10;
inline constexpr unsigned kSpfMaxVoidLookups = 2;

SpfVerdict evaluate_spf(const SpfQuery& query, const SpfLookup& lookup);

}  // namespace mxrelay::mta::doctor
