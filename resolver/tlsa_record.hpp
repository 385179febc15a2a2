// resolver: TLSA records (RFC 6698 section 2) as a DANE client (RFC 7672) uses them, the answer
// of one TLSA lookup, and the name that lookup asks for ("_25._tcp.mx.example").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dns_answer.hpp"

namespace mxrelay::resolver {

struct TlsaRecord {
  std::uint8_t usage = 0;          // 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE
  std::uint8_t selector = 0;       // 0 full certificate, 1 SubjectPublicKeyInfo
  std::uint8_t matching_type = 0;  // 0 exact, 1 SHA2-256, 2 SHA2-512
  std::vector<std::uint8_t> data;  // the certificate association data

  bool operator==(const TlsaRecord&) const = default;
};

struct TlsaAnswer {
  DnsAnswer dns;                    // outcome and DNSSEC status of the lookup
  std::vector<TlsaRecord> records;  // dns.outcome ok only
};

// RFC 6698 section 3: "_PORT._tcp.HOST" in canonical form.
std::string tlsa_query_name(std::string_view host, std::uint16_t port);

}  // namespace mxrelay::resolver
