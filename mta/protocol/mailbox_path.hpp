// mta/protocol: RFC 5321 path syntax (4.1.2), as MAIL FROM and RCPT TO carry it: "<>",
// "<local@domain>", "<@route,@route:local@domain>" (the source route is accepted and
// dropped, RFC 5321 4.1.1.3 and C), with quoted local parts, address literals, the
// 64/255/256 octet limits (4.5.3.1) and RFC 6531 UTF-8 atoms and labels.
// Parsing only: no normalisation, so an address is kept exactly as the client wrote it.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

namespace mxrelay::mta {

struct MailboxPath {
  std::string local_part;  // as written, a quoted local part keeps its quotes
  std::string domain;      // a domain name or a bracketed address literal, as written
  bool utf8 = false;       // the mailbox holds non-ASCII characters (needs SMTPUTF8)

  bool is_null() const { return local_part.empty() && domain.empty(); }
  // "local@domain"; "" for the null path.
  std::string address() const;
};

enum class PathError {
  syntax,    // not a well-formed path
  too_long,  // local part over 64, domain over 255 or path over 256 octets
};

struct ParsedPath {
  MailboxPath path;
  std::size_t length = 0;  // octets of the input the path took, brackets included
};

// Parses the path at the start of text (which begins with '<'); text may continue after it.
// The null path "<>" is returned as a MailboxPath with is_null(); the caller decides
// whether it is allowed.
std::expected<ParsedPath, PathError> parse_path(std::string_view text);

}  // namespace mxrelay::mta
