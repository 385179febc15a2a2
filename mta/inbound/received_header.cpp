// mta/inbound: formatting of Received: headers.
#include "mta/inbound/received_header.hpp"

#include "core/rfc5322_date.hpp"

namespace mxrelay::mta {

std::string received_header(const ReceivedTrace& trace) {
  std::string out;
  out.reserve(200 + trace.helo.size() + trace.recipient.size());
  out += "Received: from ";
  out += trace.helo.empty() ? std::string_view("unknown") : trace.helo;
  out += " ([";
  out += trace.client_ip;
  out += "])\r\n\t";
  if (!trace.tls.empty()) {
    out += "(using ";
    out += trace.tls;
    out += ")\r\n\t";
  }
  out += "by ";
  out += trace.our_hostname;
  out += " (mxrelay) with ";
  out += trace.protocol;
  out += " id ";
  out += trace.queue_id;
  if (!trace.recipient.empty()) {
    out += "\r\n\tfor <";
    out += trace.recipient;
    out += '>';
  }
  out += "; ";
  out += core::rfc5322_date(
      std::chrono::duration_cast<std::chrono::seconds>(trace.when.time_since_epoch()).count());
  out += "\r\n";
  return out;
}

}  // namespace mxrelay::mta
