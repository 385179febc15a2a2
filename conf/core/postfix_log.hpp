// core: the postfix log format. The events Postfix also logs take Postfix's own line shapes,
// so that pflogsumm, postfix_exporter, mtail programs and fail2ban filters written for
// Postfix read mxrelay's log unchanged (with the syslog name "mxrelay"):
//   mxrelay/smtpd: connect from unknown[192.0.2.7]
//   mxrelay/smtpd: QUEUEID: client=unknown[192.0.2.7]
//   mxrelay/qmgr:  QUEUEID: from=<a@example.org>, size=1234, nrcpt=1 (queue active)
//   mxrelay/smtp:  QUEUEID: to=<b@example.com>, relay=mx.example.com[198.51.100.1]:25,
//                  delay=1.2, delays=0/0.01/0.3/0.9, dsn=2.0.0, status=sent (250 2.0.0 Ok)
//   mxrelay/qmgr:  QUEUEID: removed
//   mxrelay/smtpd: NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 554 5.7.1 ...; from=<...>
//                  to=<...> proto=ESMTP helo=<...>
//   mxrelay/smtpd: warning: unknown[192.0.2.7]: SASL PLAIN authentication failed: ...
//   mxrelay/bounce: QUEUEID: sender non-delivery notification: QUEUEID
// Every other event keeps its key=value fields, after "warning: " or "error: " by severity
// and after its queue ID when it has one, under the program of the part that logs it.
#pragma once

#include <vector>

#include "log_format.hpp"

namespace mxrelay::core {

std::vector<LogRecord> postfix_records(const LogEvent& event);

// Seconds as Postfix writes delays: "0" below 10 ms, two decimals below a second ("0.04"),
// one below ten ("1.3"), whole seconds above ("27").
std::string postfix_seconds(double seconds);

}  // namespace mxrelay::core
