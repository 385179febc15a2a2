// mta/sendmail: why `mxrelay sendmail` did not submit a message: the sysexits.h status it
// exits with and the message it prints on stderr.
#pragma once

#include <string>

namespace mxrelay::mta::sendmail {

struct SendmailFailure {
  int exit_status = 0;  // EX_USAGE, EX_DATAERR, EX_NOUSER, EX_UNAVAILABLE, EX_TEMPFAIL, ...
  std::string message;
};

}  // namespace mxrelay::mta::sendmail
