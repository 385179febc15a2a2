// mta/protocol: the RFC 3461 parameters the outbound client appends to MAIL FROM (RET, ENVID) and
// RCPT TO (NOTIFY, ORCPT) when the next hop offers DSN. Built from the decoded values kept
// with the message, xtext-encoded, so no value can add spaces, line breaks or parameters.
#pragma once

#include <string>

#include "mta/protocol/dsn_parameter_syntax.hpp"

namespace mxrelay::mta {

// " RET=FULL ENVID=..." (each part only when set); "" when nothing is set.
std::string mail_dsn_parameters(const MessageDsn& dsn);
// " NOTIFY=SUCCESS,DELAY ORCPT=rfc822;..." (each part only when set); an ORCPT whose type is
// not an atom of letters, digits and "-" is left out.
std::string rcpt_dsn_parameters(const queue::RecipientDsn& dsn);

}  // namespace mxrelay::mta
