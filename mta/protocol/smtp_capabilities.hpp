// mta/protocol: what a remote SMTP server offered in its EHLO reply (RFC 5321 4.1.1.1 and the
// extension RFCs), read once so the client session can decide which extensions to use.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mta/protocol/smtp_reply.hpp"

namespace mxrelay::mta {

struct PeerCapabilities {
  bool esmtp = false;                        // EHLO succeeded (false after the HELO fallback)
  bool pipelining = false;                   // RFC 2920
  bool size_offered = false;                 // RFC 1870
  std::uint64_t size_limit = 0;              // 0: SIZE without a limit
  bool eight_bit_mime = false;               // RFC 6152
  bool smtputf8 = false;                     // RFC 6531
  bool starttls = false;                     // RFC 3207
  bool chunking = false;                     // RFC 3030
  bool dsn = false;                          // RFC 3461
  bool enhanced_status_codes = false;        // RFC 2034
  bool requiretls = false;                   // RFC 8689
  std::vector<std::string> auth_mechanisms;  // RFC 4954, upper case

  // Keywords from the lines after the first (the first line is the server's name).
  static PeerCapabilities from_ehlo_reply(const SmtpReply& reply);
  // False when the server announced a SIZE limit below message_size.
  bool accepts_size(std::uint64_t message_size) const;
};

}  // namespace mxrelay::mta
