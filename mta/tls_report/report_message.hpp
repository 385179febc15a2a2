// mta/tls_report: the mail that carries a report to a mailto: rua (RFC 8460 section 5.3): a
// multipart/report; report-type="tlsrpt" message with the TLS-Report-Domain and
// TLS-Report-Submitter header fields, the subject "Report Domain: D Submitter: S Report-ID:
// <ID>", a short text/plain part, and the gzip'd JSON as application/tlsrpt+gzip (base64)
// named submitter!policy-domain!begin-timestamp!end-timestamp!unique-id.json.gz. CRLF line
// ends, ready for the spool. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mta/tls_report/report_store.hpp"

namespace mxrelay::mta::tlsrpt {

struct ReportMail {
  std::string submitter;   // the reporting domain: server.hostname
  std::string from;        // tls_report.contact
  std::string to;          // the rua's address
  std::int64_t date = 0;   // Unix seconds
  std::string message_id;  // without <>
  std::string boundary;
  std::string unique_id;  // letters and digits, for the file name
};

// RFC 8460 5.1: "sender!policy-domain!begin!end!unique-id.json.gz"
std::string report_file_name(const ReportMail& mail, const PendingReport& report);

std::string render_report_mail(const ReportMail& mail, const PendingReport& report,
                               std::string_view gzipped_json);

}  // namespace mxrelay::mta::tlsrpt
