// queue: the on-disk record of one queued message (envelope + body, checksummed) and
// the append-only log of per-recipient outcomes kept beside it. Pure encode/decode:
// no I/O here, so corruption handling is unit-tested with plain strings.
//
// Record layout (text header, raw body, checksum trailer):
//   MXQ1\n  id ID\n  arrival UNIX\n  client IP\n  helo NAME\n  from ADDR\n  rcpt ADDR\n...
//   size N\n  \n  <N body bytes>  END <crc32 of all preceding bytes, 8 hex>\n
// RFC 3461 DSN fields are written only when given, so records without them keep the
// original layout: "ret full|hdrs", "envid TEXT" and "requiretls yes" (RFC 8689) after
// "from"; "notify never" or
// "notify success,failure,delay" (any non-empty subset) and "orcpt TYPE;ADDRESS" right
// after the "rcpt" line they belong to.
// Envelope fields never contain CR, LF or NUL (the SMTP server rejects them), so one
// field per line is unambiguous. A torn write fails the size or checksum test.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "dsn_parameters.hpp"

namespace mxrelay::queue {

// The latest arrival a record may carry (2200-01-01): later ones are refused when decoded.
inline constexpr std::int64_t kLatestArrivalUnix = 7'258'118'400;

struct Envelope {
  std::string id;
  std::int64_t arrival_unix = 0;
  std::string client_address;
  std::string helo;
  std::string sender;  // "" is the null reverse path
  std::vector<std::string> recipients;
  DsnRet ret = DsnRet::unspecified;
  std::string envid;         // ENVID, xtext-decoded printable ASCII; "" when not given
  bool require_tls = false;  // MAIL FROM carried REQUIRETLS (RFC 8689)
  // Empty when no recipient had DSN parameters, else one entry per recipient, in order.
  std::vector<RecipientDsn> recipient_dsn;

  // A message from the null reverse path is itself a notification: never bounce it.
  bool is_bounce() const { return sender.empty(); }
};

// The DSN parameters of recipient `index` (defaults when none were given).
RecipientDsn recipient_dsn_of(const Envelope& envelope, std::size_t index);

std::string encode_record(const Envelope& envelope, std::string_view body);

struct DecodedRecord {
  Envelope envelope;
  std::string_view body;  // points into the decoded buffer
};
// Fails with a short reason ("checksum mismatch", "truncated", ...).
std::expected<DecodedRecord, std::string> decode_record(std::string_view bytes);

// The envelope part alone, for scanning a large spool without reading bodies: `bytes` is a
// prefix of the record that reaches past the header's empty line. No checksum test (the body
// is not there); record_size lets the caller compare with the file's size.
struct RecordHeader {
  Envelope envelope;
  std::size_t body_offset = 0;
  std::size_t body_size = 0;
  std::size_t record_size = 0;  // header, body and trailer
};
std::expected<RecordHeader, std::string> decode_record_header(std::string_view bytes);

// The state of one recipient of a queued message. The recipient log holds only the final
// ones (delivered, failed); a recipient without a line is pending.
enum class RecipientState { pending, delivered, failed };
const char* to_string(RecipientState state);

// One line of the recipient log.
struct RecipientOutcome {
  std::size_t index = 0;  // position in Envelope::recipients
  RecipientState state = RecipientState::delivered;
  std::string detail;  // e.g. "250 2.0.0 Ok" or "556 5.1.10 null MX"
};

std::string encode_recipient_outcome(const RecipientOutcome& outcome);
// Complete lines only: a torn last line (crash during append) is ignored; malformed
// lines (among them any with a CR or NUL, which the encoder never writes) are skipped. Returned in
// log order: applied in order, later lines win.
std::vector<RecipientOutcome> decode_recipient_outcomes(std::string_view log);

}  // namespace mxrelay::queue
