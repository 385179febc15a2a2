// resolver: what a resolver returned for one query (rcode, flags, canonical name and the RDATA
// of each record, as libunbound's ub_result holds them) turned into a DnsAnswer and, for TLSA,
// its records. Pure, so tests and the fuzzers feed it plain data; the libunbound glue only
// copies ub_result into a RawAnswer. One malformed record makes the whole answer an error
// (temporary: a route is never built from part of an RRset).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dns_answer.hpp"
#include "tlsa_record.hpp"

namespace mxrelay::resolver {

struct RawAnswer {
  int rcode = 0;
  bool nxdomain = false;
  bool havedata = false;
  bool secure = false;
  bool bogus = false;
  std::string why_bogus;
  std::optional<std::string> canonname;  // wire text as the resolver gives it, unescaped
  int ttl = 0;
  int answer_len = 0;  // octets of the DNS message
  std::vector<std::span<const std::uint8_t>> records;
};

// Fills answer (qname and qtype already set) and, for qtype TLSA, tlsa.
void decode_answer(const RawAnswer& raw, DnsAnswer& answer, std::vector<TlsaRecord>& tlsa);

}  // namespace mxrelay::resolver
