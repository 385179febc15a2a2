// mta: formatting of Received: headers and RFC 5322 dates.
#include "received_header.hpp"

#include <cstdio>
#include <ctime>

namespace mxrelay::mta {

std::string rfc5322_date(std::chrono::system_clock::time_point when) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[utc.tm_wday],
                utc.tm_mday, kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                utc.tm_sec);
  return buf;
}

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
  out += rfc5322_date(trace.when);
  out += "\r\n";
  return out;
}

}  // namespace mxrelay::mta
