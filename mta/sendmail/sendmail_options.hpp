// mta/sendmail: the command line of `mxrelay sendmail` (and of mxrelay run as `sendmail`), as
// cron, mailx and logwatch call sendmail(1): -t, -f/-r SENDER, -F NAME, -i/-oi, -c FILE, the
// recipients, and the harmless options they pass that change nothing here. Pure.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mxrelay::mta::sendmail {

struct SendmailOptions {
  std::string config;                    // -c FILE, else the default given to the parser
  std::optional<std::string> sender;     // -f / -r: the envelope sender
  std::optional<std::string> full_name;  // -F: the name in an added From: header
  bool recipients_from_headers = false;  // -t: To, Cc and Bcc give recipients too
  bool dot_ends_input = true;            // cleared by -i / -oi
  std::vector<std::string> recipients;   // the arguments after the options, as written
};

// arguments: what follows "sendmail" on the command line. An unknown option or a missing
// value yields the message for a usage error.
std::expected<SendmailOptions, std::string> parse_sendmail_options(
    const std::vector<std::string_view>& arguments, std::string_view default_config);

}  // namespace mxrelay::mta::sendmail
