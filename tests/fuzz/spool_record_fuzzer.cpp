// tests/fuzz: what spool recovery reads back from disk (queue/message_record): whole records,
// record headers alone, and recipient logs, as a damaged or hostile file would hold them.
// A record's CRC-32 trailer is recomputed on a copy of the input, so the fuzzer also reaches
// what lies behind the checksum test. Properties: a decoded envelope holds no control character, an
// arrival time in range and one DSN entry per recipient (or none); it encodes and decodes back to
// itself; the header alone agrees with the whole record; recipient log lines survive encode and
// decode.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "fuzz_input.hpp"
#include "queue/checksum.hpp"
#include "queue/message_record.hpp"

namespace {

using mxrelay::fuzz::require;
using namespace mxrelay::queue;

bool clean(std::string_view field) {
  for (unsigned char c : field)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

void check_envelope(const Envelope& envelope) {
  require(clean(envelope.id) && clean(envelope.client_address) && clean(envelope.helo) &&
              clean(envelope.sender) && clean(envelope.envid),
          "decoded envelope fields hold no control character");
  for (const auto& recipient : envelope.recipients)
    require(clean(recipient), "decoded recipients hold no control character");
  require(envelope.arrival_unix >= 0 && envelope.arrival_unix < kLatestArrivalUnix,
          "a decoded arrival time is in range");
  require(
      envelope.recipient_dsn.empty() || envelope.recipient_dsn.size() == envelope.recipients.size(),
      "DSN entries are none or one per recipient");
}

bool same(const Envelope& a, const Envelope& b) {
  return a.id == b.id && a.arrival_unix == b.arrival_unix && a.client_address == b.client_address &&
         a.helo == b.helo && a.sender == b.sender && a.recipients == b.recipients &&
         a.ret == b.ret && a.envid == b.envid && a.recipient_dsn == b.recipient_dsn;
}

// The input with a correct "END <crc32>" trailer when it ends in one of that shape.
std::string with_valid_checksum(std::string_view input) {
  constexpr std::size_t kTrailer = 13;  // "END " + 8 hex + "\n"
  std::string fixed(input);
  if (fixed.size() < kTrailer || fixed.compare(fixed.size() - kTrailer, 4, "END ") != 0)
    return fixed;
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", crc32(input.substr(0, input.size() - kTrailer)));
  fixed.replace(fixed.size() - 9, 8, hex);
  return fixed;
}

void check_record(std::string_view input) {
  const auto record = decode_record(input);
  if (record) {
    check_envelope(record->envelope);
    const std::string encoded = encode_record(record->envelope, record->body);
    const auto again = decode_record(encoded);
    require(again.has_value(), "a decoded record encodes to a valid record");
    require(same(again->envelope, record->envelope) && again->body == record->body,
            "a decoded record encodes and decodes back to itself");
  }
  if (const auto header = decode_record_header(input)) {
    check_envelope(header->envelope);
    require(header->body_offset + header->body_size <= header->record_size,
            "a header's body lies within its record");
    if (record)
      require(same(header->envelope, record->envelope) && header->body_size == record->body.size(),
              "the header alone agrees with the whole record");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = mxrelay::fuzz::as_text(data, size);
  check_record(input);
  check_record(with_valid_checksum(input));
  for (const auto& outcome : decode_recipient_outcomes(input)) {
    const auto again = decode_recipient_outcomes(encode_recipient_outcome(outcome));
    require(again.size() == 1 && again[0].index == outcome.index &&
                again[0].state == outcome.state && again[0].detail == outcome.detail,
            "a recipient log line encodes and decodes back to itself");
  }
  return 0;
}
