// mta/protocol: the syntax of inbound SMTP command lines (RFC 5321 4.1.1, 4.1.2): the verb and its
// argument, and the argument of MAIL FROM / RCPT TO (a path and ESMTP parameters).
// Pure parsing over the caller's line: results hold views into it.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string_view>
#include <vector>

#include "core/ascii_case.hpp"
#include "mta/protocol/mailbox_path.hpp"

namespace mxrelay::mta {

enum class Verb {
  ehlo,
  helo,
  mail,
  rcpt,
  data,
  bdat,
  rset,
  noop,
  quit,
  vrfy,
  expn,
  help,
  starttls,
  auth,
  unknown
};

struct CommandLine {
  Verb verb = Verb::unknown;
  std::string_view argument;  // the text after the verb and one space, trailing spaces removed
};

// line: one command line without its CRLF. Verbs are matched ignoring case.
CommandLine parse_command_line(std::string_view line);

// esmtp-param = esmtp-keyword ["=" esmtp-value].
struct EsmtpParameter {
  std::string_view keyword;
  std::string_view value;  // empty when the parameter has no "=value"
};

struct PathArgument {
  MailboxPath path;
  std::vector<EsmtpParameter> parameters;
};

enum class ArgumentError {
  syntax,            // the "FROM:"/"TO:" keyword is missing or a parameter is malformed
  bad_address,       // the path is malformed
  address_too_long,  // the path breaks the RFC 5321 size limits
};

// argument: what follows "MAIL " or "RCPT "; keyword: "FROM:" or "TO:" (matched ignoring
// case). Spaces between the keyword and the path are tolerated.
std::expected<PathArgument, ArgumentError> parse_path_argument(std::string_view argument,
                                                               std::string_view keyword);

// The argument of BDAT (RFC 3030 2): chunk-size [SP "LAST"].
struct ChunkArgument {
  std::uint64_t size = 0;
  bool last = false;
};
// nullopt when the argument is malformed or the size does not fit in 64 bits.
std::optional<ChunkArgument> parse_chunk_argument(std::string_view argument);

// Keywords and verbs compare ignoring ASCII case.
using core::equals_ignoring_case;

}  // namespace mxrelay::mta
