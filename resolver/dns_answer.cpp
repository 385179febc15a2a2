// resolver: names of record types and query outcomes, and which outcomes are temporary.
#include "dns_answer.hpp"

namespace mxrelay::resolver {

const char* to_string(RrType type) {
  switch (type) {
    case RrType::a:
      return "A";
    case RrType::cname:
      return "CNAME";
    case RrType::ptr:
      return "PTR";
    case RrType::mx:
      return "MX";
    case RrType::txt:
      return "TXT";
    case RrType::aaaa:
      return "AAAA";
    case RrType::dnskey:
      return "DNSKEY";
    case RrType::tlsa:
      return "TLSA";
  }
  return "UNKNOWN";
}

const char* to_string(DnsOutcome outcome) {
  switch (outcome) {
    case DnsOutcome::ok:
      return "ok";
    case DnsOutcome::nodata:
      return "nodata";
    case DnsOutcome::nxdomain:
      return "nxdomain";
    case DnsOutcome::servfail:
      return "servfail";
    case DnsOutcome::timeout:
      return "timeout";
    case DnsOutcome::bogus:
      return "bogus";
    case DnsOutcome::error:
      return "error";
  }
  return "unknown";
}

bool is_temporary(DnsOutcome outcome) {
  switch (outcome) {
    case DnsOutcome::ok:
    case DnsOutcome::nodata:
    case DnsOutcome::nxdomain:
      return false;
    case DnsOutcome::servfail:
    case DnsOutcome::timeout:
    case DnsOutcome::bogus:
    case DnsOutcome::error:
      return true;
  }
  return true;
}

}  // namespace mxrelay::resolver
