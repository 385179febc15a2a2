// tests/mta/tls_report: the report mail of RFC 8460 section 5.3.
#include "mta/tls_report/report_message.hpp"

#include <gtest/gtest.h>

#include "mta/protocol/base64.hpp"
#include "mta/tls_report/gzip.hpp"

namespace mxrelay::mta::tlsrpt {
namespace {

TEST(ReportMail, HasTheRfcHeadersMediaTypesAndFileName) {
  PendingReport report;
  report.domain = "example.net";
  report.begin = 1013662812;
  report.end = 1013749130;
  report.report_id = "735ff.e317+bf22029@relay.example";
  const ReportMail mail{"relay.example",
                        "postmaster@relay.example",
                        "tlsrpt@example.net",
                        1013749130,
                        "id1@relay.example",
                        "=_b",
                        "u1"};
  const auto gzipped = gzip_compress("{\"report-id\":\"x\"}");
  const auto text = render_report_mail(mail, report, gzipped);
  EXPECT_EQ(report_file_name(mail, report),
            "relay.example!example.net!1013662812!1013749130!u1.json.gz");
  for (const char* line :
       {"\r\nTLS-Report-Domain: example.net\r\n", "\r\nTLS-Report-Submitter: relay.example\r\n",
        "\r\nSubject: Report Domain: example.net Submitter: relay.example Report-ID: "
        "<735ff.e317+bf22029@relay.example>\r\n",
        "\r\nContent-Type: multipart/report; report-type=\"tlsrpt\";\r\n\tboundary=\"=_b\"\r\n",
        "\r\nContent-Type: application/tlsrpt+gzip\r\n",
        "filename=\"relay.example!example.net!1013662812!1013749130!u1.json.gz\"",
        "\r\n--=_b--\r\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line;
  EXPECT_TRUE(text.starts_with("From: <postmaster@relay.example>\r\n"));
  // No bare LF, and the attachment decodes back to the gzip'd report.
  for (std::size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 1))
    ASSERT_EQ(text[at - 1], '\r');
  const auto start = text.find("\r\n\r\n", text.find("application/tlsrpt+gzip")) + 4;
  const auto end = text.find("\r\n\r\n--=_b--");
  auto encoded = text.substr(start, end - start);
  std::erase(encoded, '\r');
  std::erase(encoded, '\n');
  EXPECT_EQ(decode_base64(encoded), gzipped);
}

}  // namespace
}  // namespace mxrelay::mta::tlsrpt
