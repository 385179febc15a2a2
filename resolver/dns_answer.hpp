// resolver: one DNS answer as plain data — what a query returned, how, and through whom.
// Produced by the libunbound glue, consumed by the pure next-hop policy and by `route`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/ip_address.hpp"

namespace mxrelay::resolver {

enum class RrType : std::uint16_t {
  a = 1,
  cname = 5,
  ptr = 12,
  mx = 15,
  txt = 16,
  aaaa = 28,
  dnskey = 48,
  tlsa = 52
};
const char* to_string(RrType type);

// How a query ended, as the policy needs to see it.
enum class DnsOutcome {
  ok,        // NOERROR with records of the asked type
  nodata,    // NOERROR, name exists, no records of that type
  nxdomain,  // the name does not exist
  servfail,  // SERVFAIL or another error rcode from the server
  timeout,   // no answer within the query timeout
  bogus,     // DNSSEC validation failed
  error,     // local resolver failure (libunbound internal error, bad name)
};
const char* to_string(DnsOutcome outcome);
// True for outcomes that say nothing reliable about the name: defer, never guess.
bool is_temporary(DnsOutcome outcome);

struct MxRecord {
  std::uint16_t preference = 0;
  std::string exchange;  // canonical form; "" for the null MX target "."
};

struct DnsAnswer {
  std::string qname;
  RrType qtype = RrType::a;
  DnsOutcome outcome = DnsOutcome::error;
  int rcode = 0;
  std::uint32_t ttl = 0;
  bool secure = false;
  bool bogus = false;
  std::string why_bogus;
  std::size_t answer_bytes = 0;  // size of the DNS message that carried the answer
  std::string resolver_path;     // "recursion", "forwarder 127.0.0.1@53", "stub example.com"
  std::string canonical_name;    // after following CNAMEs; equals qname without CNAME
  std::string error_text;        // for outcome error/timeout

  std::vector<MxRecord> mx;                // qtype mx
  std::vector<core::IpAddress> addresses;  // qtype a / aaaa
  std::vector<std::string> texts;          // qtype txt: each record's strings joined, as octets
  std::vector<std::string> names;          // qtype ptr: the target names, canonical form
  std::size_t other_records = 0;           // qtype dnskey: records counted, not decoded

  std::size_t record_count() const {
    return mx.size() + addresses.size() + texts.size() + names.size() + other_records;
  }
};

}  // namespace mxrelay::resolver
