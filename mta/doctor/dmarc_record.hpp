// mta/doctor: a DMARC policy record (RFC 7489 6.3) at _dmarc.DOMAIN: v=DMARC1 first, then
// p=, sp=, adkim=, aspf=, pct= and rua=; other tags are ignored. Pure.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace mxrelay::mta::doctor {

struct DmarcRecord {
  std::string policy;            // none, quarantine, reject
  std::string subdomain_policy;  // sp=; "" when absent (p= applies)
  char adkim = 'r';              // r relaxed, s strict
  char aspf = 'r';
  unsigned pct = 100;
  std::vector<std::string> rua;  // aggregate report URIs
};

// True when the TXT text starts with "v=DMARC1" (how a receiver picks the record).
bool is_dmarc_record(std::string_view text);

std::expected<DmarcRecord, std::string> parse_dmarc_record(std::string_view text);

}  // namespace mxrelay::mta::doctor
