// mta/inbound: the Received: trace header (RFC 5321 4.4) that mxrelay prepends to every message
// it accepts. Pure: the caller supplies every value, including the time.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace mxrelay::mta {

struct ReceivedTrace {
  std::string_view helo;       // the name the client gave
  std::string_view client_ip;  // the address the connection came from
  std::string_view our_hostname;
  std::string_view protocol;  // "SMTP", "ESMTP", "ESMTPS", "ESMTPSA" (RFC 3848)
  std::string_view queue_id;
  std::string_view recipient;  // named in the "for" clause only for a single recipient
  std::chrono::system_clock::time_point when;
  std::string_view tls = {};  // "TLSv1.3 with cipher ... (256/256 bits)"; "" without TLS
};

// "Received: from HELO ([IP])\r\n\tby HOST (mxrelay) with PROTO id ID\r\n\tfor <R>; DATE\r\n",
// with "(using TLS)\r\n\t" before "by" when tls is set.
std::string received_header(const ReceivedTrace& trace);

}  // namespace mxrelay::mta
