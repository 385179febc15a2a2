// tests/fuzz: what a client writes after the verb (mta/protocol/mailbox_path, smtp_command,
// dsn_parameter_syntax): paths, ESMTP parameters, BDAT sizes and the DSN values (xtext, ENVID,
// ORCPT, NOTIFY, RET). Every parser sees the whole input. Properties: a parsed path keeps
// the RFC 5321 size limits, holds no control character and reads back to the same address;
// decoded xtext holds no CR, LF or NUL and survives encode and decode; decoded ENVID and
// ORCPT are printable ASCII.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_input.hpp"
#include "mta/protocol/dsn_parameter_syntax.hpp"
#include "mta/protocol/mailbox_path.hpp"
#include "mta/protocol/smtp_command.hpp"

namespace {

using mxrelay::fuzz::require;
using namespace mxrelay::mta;

bool printable_ascii(std::string_view text) {
  for (unsigned char c : text)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

void check_path(std::string_view input) {
  const auto parsed = parse_path(input);
  if (!parsed) return;
  const MailboxPath& path = parsed->path;
  require(parsed->length <= input.size(), "a path takes no more octets than it was given");
  require(path.local_part.size() <= 64, "a local part keeps 64 octets");
  require(path.domain.size() <= 255, "a domain keeps 255 octets");
  for (unsigned char c : path.address())
    require(c >= 0x20 && c != 0x7f, "a parsed address holds no control character");
  const std::string written = "<" + path.address() + ">";
  const auto again = parse_path(written);
  require(again.has_value(), "a parsed address parses again");
  require(again->path.address() == path.address(), "a parsed address reads back the same");
}

void check_path_argument(std::string_view input, std::string_view keyword) {
  const auto parsed = parse_path_argument(input, keyword);
  if (!parsed) return;
  for (const auto& parameter : parsed->parameters)
    require(!parameter.keyword.empty(), "an ESMTP parameter has a keyword");
}

void check_dsn_values(std::string_view input) {
  if (const auto decoded = decode_xtext(input)) {
    require(decoded->find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos,
            "decoded xtext holds no CR, LF or NUL");
    const auto again = decode_xtext(encode_xtext(*decoded));
    require(again && *again == *decoded, "xtext survives encode and decode");
  }
  if (const auto envid = parse_dsn_envid(input))
    require(printable_ascii(*envid), "a decoded ENVID is printable ASCII");
  mxrelay::queue::RecipientDsn dsn;
  if (parse_dsn_orcpt(input, dsn)) {
    require(dsn.orcpt.has_value(), "an accepted ORCPT is kept");
    require(printable_ascii(dsn.orcpt->address) && printable_ascii(dsn.orcpt->addr_type),
            "a decoded ORCPT is printable ASCII");
  }
  if (const auto notify = parse_dsn_notify(input))
    require(notify->never != (notify->success || notify->failure || notify->delay),
            "NOTIFY is NEVER alone or a non-empty mix");
  (void)parse_dsn_ret(input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = mxrelay::fuzz::as_text(data, size);
  check_path(input);
  check_path_argument(input, "FROM:");
  check_path_argument(input, "TO:");
  check_dsn_values(input);
  const auto command = parse_command_line(input);
  require(command.argument.size() <= input.size(), "a command argument lies within the line");
  (void)parse_chunk_argument(input);
  return 0;
}
