// mta/tls_report: rendering the report mail (see report_message.hpp).
#include "mta/tls_report/report_message.hpp"

#include "core/rfc5322_date.hpp"
#include "mta/protocol/base64.hpp"

namespace mxrelay::mta::tlsrpt {

namespace {
constexpr std::size_t kBase64Line = 76;
}  // namespace

std::string report_file_name(const ReportMail& mail, const PendingReport& report) {
  return mail.submitter + "!" + report.domain + "!" + std::to_string(report.begin) + "!" +
         std::to_string(report.end) + "!" + mail.unique_id + ".json.gz";
}

std::string render_report_mail(const ReportMail& mail, const PendingReport& report,
                               std::string_view gzipped_json) {
  const auto name = report_file_name(mail, report);
  std::string out;
  out += "From: <" + mail.from + ">\r\n";
  out += "To: <" + mail.to + ">\r\n";
  out += "Date: " + core::rfc5322_date(mail.date) + "\r\n";
  out += "Message-ID: <" + mail.message_id + ">\r\n";
  out += "Subject: Report Domain: " + report.domain + " Submitter: " + mail.submitter +
         " Report-ID: <" + report.report_id + ">\r\n";
  out += "TLS-Report-Domain: " + report.domain + "\r\n";
  out += "TLS-Report-Submitter: " + mail.submitter + "\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: multipart/report; report-type=\"tlsrpt\";\r\n\tboundary=\"" +
         mail.boundary + "\"\r\n";
  out += "\r\n";
  out += "This is a multipart message in MIME format.\r\n";
  out += "\r\n--" + mail.boundary + "\r\n";
  out += "Content-Type: text/plain; charset=us-ascii\r\n\r\n";
  out += "This is an aggregate TLS report (RFC 8460) from " + mail.submitter + " for " +
         report.domain + ".\r\n";
  out += "\r\n--" + mail.boundary + "\r\n";
  out += "Content-Type: application/tlsrpt+gzip\r\n";
  out += "Content-Transfer-Encoding: base64\r\n";
  out += "Content-Disposition: attachment;\r\n\tfilename=\"" + name + "\"\r\n\r\n";
  const auto encoded = encode_base64(gzipped_json);
  for (std::size_t at = 0; at < encoded.size(); at += kBase64Line)
    out += encoded.substr(at, kBase64Line) + "\r\n";
  out += "\r\n--" + mail.boundary + "--\r\n";
  return out;
}

}  // namespace mxrelay::mta::tlsrpt
