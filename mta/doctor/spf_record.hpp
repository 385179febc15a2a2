// mta/doctor: an SPF record (RFC 7208 4.5, 5, 6) parsed into its directives and modifiers.
// Pure: domain-specs stay unexpanded (spf_macro expands them at evaluation time).
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_address.hpp"

namespace mxrelay::mta::doctor {

enum class SpfQualifier { pass, fail, softfail, neutral };  // + - ~ ?

enum class SpfMechanismKind { all, include, a, mx, ptr, ip4, ip6, exists };

struct SpfMechanism {
  SpfQualifier qualifier = SpfQualifier::pass;
  SpfMechanismKind kind = SpfMechanismKind::all;
  std::string text;                   // the term as written, for reports ("ip4:192.0.2.0/24")
  std::string domain_spec;            // include, a, mx, ptr, exists; "" means the current domain
  std::optional<core::Cidr> network;  // ip4, ip6
  unsigned cidr4 = 32;                // a, mx: the dual-cidr-length
  unsigned cidr6 = 128;
};

struct SpfRecord {
  std::vector<SpfMechanism> mechanisms;
  std::string redirect;  // redirect= domain-spec; "" when absent
  std::string exp;       // exp= domain-spec; "" when absent
};

// True when the TXT text is an SPF record: "v=spf1" alone or followed by a space (4.5).
bool is_spf_record(std::string_view text);

// The record's terms; an error (a permerror, 4.6) names the offending term.
std::expected<SpfRecord, std::string> parse_spf_record(std::string_view text);

}  // namespace mxrelay::mta::doctor
