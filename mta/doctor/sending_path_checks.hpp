// mta/doctor: the judgement of `mxrelay doctor`: DNS facts gathered about a source address,
// a sender domain and the resolver, turned into checks with a status and one line of detail.
// Pure: doctor_command gathers the facts, these functions only read them.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/ip_address.hpp"
#include "mta/dkim/dkim_record.hpp"
#include "mta/doctor/spf_evaluator.hpp"
#include "resolver/dns_answer.hpp"

namespace mxrelay::mta::doctor {

enum class CheckStatus { pass, warn, fail };
const char* to_string(CheckStatus status);

struct Check {
  std::string name;     // "ptr", "fcrdns", "helo", "spf", "dkim", "dmarc", "dnssec"
  std::string subject;  // the address or domain checked
  CheckStatus status = CheckStatus::pass;
  std::string detail;
};

// One source address: its PTR answer, the address lookups of each PTR name, and the HELO
// name's address lookup (A or AAAA by the address's family).
struct SourceFacts {
  core::IpAddress address;
  std::string origin;  // "delivery.source_ipv4", "the kernel's choice"
  resolver::DnsAnswer ptr;
  std::vector<std::pair<std::string, resolver::DnsAnswer>> ptr_forward;
  std::string helo_name;
  resolver::DnsAnswer helo_addresses;
};

std::vector<Check> check_source(const SourceFacts& facts);

Check check_spf(const std::string& domain, const core::IpAddress& address,
                const SpfVerdict& verdict);

// A [[dkim]] key's record: the TXT answer and, when the lookup worked, the verdict.
struct DkimFacts {
  std::string domain;
  std::string record_name;  // SELECTOR._domainkey.DOMAIN
  resolver::DnsAnswer answer;
  std::optional<dkim::RecordVerdict> verdict;  // nullopt: the key could not be loaded
  std::string key_error;
};

Check check_dkim(const DkimFacts& facts);

// The _dmarc.DOMAIN TXT answer.
Check check_dmarc(const std::string& domain, const resolver::DnsAnswer& answer);

// Whether DNSSEC validation can reach the root: the ". DNSKEY" answer under this config.
Check check_root(bool dnssec, bool forwarders, const resolver::DnsAnswer& root_dnskey);

}  // namespace mxrelay::mta::doctor
