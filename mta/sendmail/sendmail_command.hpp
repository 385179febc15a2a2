// mta/sendmail: `mxrelay sendmail [OPTION]... [RECIPIENT]...`, mxrelay's sendmail(1) for cron
// and local programs on the relay host: reads a message on stdin, completes its header
// (Date, Message-ID, From; Bcc removed) and submits it over SMTP to the relay's own
// listener, named by the configuration. Exits with a sysexits.h status and, on failure, a
// message on stderr naming the cause.
#pragma once

#include <string_view>
#include <vector>

namespace mxrelay::mta::sendmail {

// arguments: what follows "sendmail" (or the program name when mxrelay runs as sendmail).
int run_sendmail_command(const std::vector<std::string_view>& arguments,
                         std::string_view default_config);

}  // namespace mxrelay::mta::sendmail
