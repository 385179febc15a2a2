// mta/tls_report: the _smtp._tls TXT record of RFC 8460 section 3, "v=TLSRPTv1;
// rua=mailto:tlsrpt@example.com,https://reports.example.com/tlsrpt", and its report URIs.
// Of the TXT records, those not starting with "v=TLSRPTv1" are ignored; anything but exactly
// one left means the domain takes no reports. Fields are "name=value" separated by ";" with
// optional whitespace; unknown fields are ignored; rua is required and holds comma-separated
// URIs, of which mailto: (one address, ?headers dropped) and https: ([host or [IPv6]][:port]
// and path) are used, others skipped. Pure.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mxrelay::mta::tlsrpt {

struct Rua {
  enum class Kind { mailto, https };
  Kind kind = Kind::mailto;
  std::string uri;      // as published
  std::string address;  // mailto: local@domain
  std::string host;     // https: a name or an address (IPv6 without brackets)
  std::uint16_t port = 443;
  std::string target = "/";  // https: path and query
};

std::optional<Rua> parse_rua(std::string_view uri);

// texts: every TXT record at _smtp._tls.DOMAIN. The rua URIs as published (usable or not
// by parse_rua), or why the domain takes no reports.
std::expected<std::vector<std::string>, std::string> parse_tlsrpt_record(
    const std::vector<std::string>& texts);

}  // namespace mxrelay::mta::tlsrpt
