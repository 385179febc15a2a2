// mta/dkim: the DKIM key record a domain publishes (RFC 6376 3.6.1) against the configured
// key: the TXT text at SELECTOR._domainkey.DOMAIN, its tags, and whether its p= and k= are
// the public half of that key. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mta/dkim/dkim_key.hpp"

namespace mxrelay::mta::dkim {

// "mx2026._domainkey.corp.example"
std::string record_name(std::string_view selector, std::string_view domain);

enum class RecordVerdict {
  matches,     // p= is the key's public half, k= its type
  other_key,   // a valid record for another key
  wrong_type,  // k= names another algorithm, h= excludes sha256 or s= excludes email
  revoked,     // p= is empty (RFC 6376 3.6.1)
  malformed,   // not a DKIM key record (bad tags, v= not DKIM1, no p=)
  none,        // no TXT record at that name
  ambiguous,   // several DKIM records: verifiers fail (RFC 6376 3.6.2.2)
};

// What the TXT records found say about `key`.
RecordVerdict check_record(const std::vector<std::string>& texts, const DkimKey& key);

// One sentence for the operator.
std::string describe(RecordVerdict verdict);

// The record to publish, as zone-file text: NAME. IN TXT ( "..." "..." ), in strings of at
// most 255 octets.
std::string zone_file_record(std::string_view selector, std::string_view domain,
                             const DkimKey& key);

}  // namespace mxrelay::mta::dkim
