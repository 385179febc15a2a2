// tests/resolver: builders for DNS answers as plain data, shared by the pure policy tests.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "resolver/dns_answer.hpp"

namespace mxrelay::resolver::testing {

inline DnsAnswer answer_of(std::string name, RrType type, DnsOutcome outcome) {
  DnsAnswer answer;
  answer.qname = name;
  answer.canonical_name = name;
  answer.qtype = type;
  answer.outcome = outcome;
  answer.rcode = outcome == DnsOutcome::nxdomain ? 3 : outcome == DnsOutcome::servfail ? 2 : 0;
  answer.resolver_path = "stub example (127.0.0.1@53)";
  return answer;
}

inline DnsAnswer mx_of(std::string name, std::initializer_list<MxRecord> records) {
  auto answer = answer_of(std::move(name), RrType::mx, DnsOutcome::ok);
  answer.mx = records;
  return answer;
}

inline DnsAnswer addresses_of(std::string name, RrType type,
                              std::initializer_list<const char*> addresses) {
  auto answer = answer_of(std::move(name), type, DnsOutcome::ok);
  for (const char* text : addresses) answer.addresses.push_back(*core::IpAddress::parse(text));
  return answer;
}

inline DnsAnswer a_of(std::string name, std::initializer_list<const char*> addresses) {
  return addresses_of(std::move(name), RrType::a, addresses);
}

}  // namespace mxrelay::resolver::testing
