// queue: encoding and decoding of spool records and recipient outcome logs.
#include "message_record.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <stdexcept>

#include "checksum.hpp"

namespace mxrelay::queue {

namespace {
constexpr std::string_view kMagic = "MXQ1\n";
constexpr std::string_view kTrailerTag = "END ";
constexpr std::size_t kTrailerSize = 4 + 8 + 1;  // "END " + hex + "\n"

void add_field(std::string& out, std::string_view key, std::string_view value) {
  out += key;
  out += ' ';
  out += value;
  out += '\n';
}

template <typename Int>
bool parse_int(std::string_view text, Int& value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size();
}

std::string_view ret_keyword(DsnRet ret) {
  return ret == DsnRet::full ? "full" : "hdrs";
}

std::string notify_keywords(const DsnNotify& notify) {
  if (notify.never) return "never";
  std::string out;
  for (auto [wanted, word] : {std::pair{notify.success, "success"},
                              {notify.failure, "failure"},
                              {notify.delay, "delay"}}) {
    if (!wanted) continue;
    if (!out.empty()) out += ',';
    out += word;
  }
  return out;
}

bool* notify_flag(DsnNotify& notify, std::string_view word) {
  if (word == "success") return &notify.success;
  if (word == "failure") return &notify.failure;
  if (word == "delay") return &notify.delay;
  return nullptr;
}

std::optional<DsnNotify> parse_notify(std::string_view text) {
  if (text == "never") return DsnNotify{.never = true};
  DsnNotify notify;
  for (;;) {
    auto comma = text.find(',');
    bool* flag = notify_flag(notify, text.substr(0, comma));
    if (flag == nullptr || *flag) return std::nullopt;
    *flag = true;
    if (comma == std::string_view::npos) return notify;
    text = text.substr(comma + 1);
  }
}

// An empty NOTIFY set is invalid in SMTP; it is kept as "not given" so the record stays
// decodable.
void add_recipient_dsn(std::string& out, const RecipientDsn& dsn) {
  if (dsn.notify && *dsn.notify != DsnNotify{})
    add_field(out, "notify", notify_keywords(*dsn.notify));
  if (dsn.orcpt) add_field(out, "orcpt", dsn.orcpt->addr_type + ';' + dsn.orcpt->address);
}

// Splits "key value" at the first space.
std::pair<std::string_view, std::string_view> split_field(std::string_view line) {
  auto space = line.find(' ');
  if (space == std::string_view::npos) return {line, {}};
  return {line.substr(0, space), line.substr(space + 1)};
}
}  // namespace

RecipientDsn recipient_dsn_of(const Envelope& envelope, std::size_t index) {
  if (index < envelope.recipient_dsn.size()) return envelope.recipient_dsn[index];
  return {};
}

std::string encode_record(const Envelope& envelope, std::string_view body) {
  std::string out;
  out.reserve(body.size() + 256 + envelope.recipients.size() * 64);
  out += kMagic;
  add_field(out, "id", envelope.id);
  add_field(out, "arrival", std::to_string(envelope.arrival_unix));
  add_field(out, "client", envelope.client_address);
  add_field(out, "helo", envelope.helo);
  add_field(out, "from", envelope.sender);
  if (envelope.ret != DsnRet::unspecified) add_field(out, "ret", ret_keyword(envelope.ret));
  if (!envelope.envid.empty()) add_field(out, "envid", envelope.envid);
  if (envelope.require_tls) add_field(out, "requiretls", "yes");
  for (std::size_t i = 0; i < envelope.recipients.size(); ++i) {
    add_field(out, "rcpt", envelope.recipients[i]);
    add_recipient_dsn(out, recipient_dsn_of(envelope, i));
  }
  add_field(out, "size", std::to_string(body.size()));
  out += '\n';
  out += body;
  char trailer[kTrailerSize + 1];
  std::snprintf(trailer, sizeof trailer, "END %08x\n", crc32(out));
  out.append(trailer, kTrailerSize);
  return out;
}

std::expected<RecordHeader, std::string> decode_record_header(std::string_view bytes) {
  if (!bytes.starts_with(kMagic)) return std::unexpected("not a spool record");
  RecordHeader out;
  std::vector<RecipientDsn> recipient_dsn;
  std::size_t pos = kMagic.size();
  bool have_size = false;
  for (;;) {
    auto eol = bytes.find('\n', pos);
    if (eol == std::string_view::npos) return std::unexpected("unterminated header");
    auto line = bytes.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty()) break;
    // The encoder never writes these (the SMTP server refuses them in an envelope).
    if (std::ranges::any_of(line, [](char c) { return (c >= 0 && c < 0x20) || c == 0x7f; }))
      return std::unexpected("control character in the header");
    auto [key, value] = split_field(line);
    auto& env = out.envelope;
    if (key == "id") {
      env.id = value;
    } else if (key == "arrival") {
      if (!parse_int(value, env.arrival_unix)) return std::unexpected("bad arrival");
      // Every time the queue computes with must fit std::chrono's nanosecond clock.
      if (env.arrival_unix < 0 || env.arrival_unix >= kLatestArrivalUnix)
        return std::unexpected("arrival time out of range");
    } else if (key == "client") {
      env.client_address = value;
    } else if (key == "helo") {
      env.helo = value;
    } else if (key == "from") {
      env.sender = value;
    } else if (key == "ret") {
      if (value != "full" && value != "hdrs") return std::unexpected("bad ret");
      env.ret = value == "full" ? DsnRet::full : DsnRet::headers;
    } else if (key == "envid") {
      env.envid = value;
    } else if (key == "requiretls") {
      if (value != "yes") return std::unexpected("bad requiretls");
      env.require_tls = true;
    } else if (key == "rcpt") {
      env.recipients.emplace_back(value);
      recipient_dsn.emplace_back();
    } else if (key == "notify") {
      auto notify = parse_notify(value);
      if (recipient_dsn.empty() || recipient_dsn.back().notify || !notify)
        return std::unexpected("bad notify");
      recipient_dsn.back().notify = notify;
    } else if (key == "orcpt") {
      auto semicolon = value.find(';');
      if (recipient_dsn.empty() || recipient_dsn.back().orcpt || semicolon == 0 ||
          semicolon == std::string_view::npos)
        return std::unexpected("bad orcpt");
      recipient_dsn.back().orcpt = OriginalRecipient{std::string(value.substr(0, semicolon)),
                                                     std::string(value.substr(semicolon + 1))};
    } else if (key == "size") {
      if (!parse_int(value, out.body_size)) return std::unexpected("bad size");
      have_size = true;
    } else {
      return std::unexpected("unknown field " + std::string(key));
    }
  }
  if (!have_size) return std::unexpected("size mismatch");
  if (out.envelope.id.empty() || out.envelope.recipients.empty())
    return std::unexpected("incomplete envelope");
  if (std::ranges::any_of(recipient_dsn, [](const auto& dsn) { return dsn != RecipientDsn{}; }))
    out.envelope.recipient_dsn = std::move(recipient_dsn);
  out.body_offset = pos;
  out.record_size = pos + out.body_size + kTrailerSize;
  return out;
}

std::expected<DecodedRecord, std::string> decode_record(std::string_view bytes) {
  if (!bytes.starts_with(kMagic)) return std::unexpected("not a spool record");
  if (bytes.size() < kMagic.size() + kTrailerSize) return std::unexpected("truncated");
  auto payload = bytes.substr(0, bytes.size() - kTrailerSize);
  auto trailer = bytes.substr(payload.size());
  char expected[kTrailerSize + 1];
  std::snprintf(expected, sizeof expected, "END %08x\n", crc32(payload));
  if (!trailer.starts_with(kTrailerTag) || trailer.back() != '\n')
    return std::unexpected("truncated");
  if (trailer != std::string_view(expected, kTrailerSize))
    return std::unexpected("checksum mismatch");
  auto header = decode_record_header(payload);
  if (!header) return std::unexpected(header.error());
  if (header->record_size != bytes.size()) return std::unexpected("size mismatch");
  return DecodedRecord{std::move(header->envelope), payload.substr(header->body_offset)};
}

const char* to_string(RecipientState state) {
  switch (state) {
    case RecipientState::pending:
      return "pending";
    case RecipientState::delivered:
      return "delivered";
    case RecipientState::failed:
      return "failed";
  }
  return "pending";
}

std::string encode_recipient_outcome(const RecipientOutcome& outcome) {
  if (outcome.state == RecipientState::pending)
    throw std::logic_error("the recipient log holds only final states");
  std::string out = std::to_string(outcome.index);
  out += outcome.state == RecipientState::delivered ? " delivered " : " failed ";
  for (char c : outcome.detail) out += (c == '\n' || c == '\r' || c == '\0') ? ' ' : c;
  out += '\n';
  return out;
}

std::vector<RecipientOutcome> decode_recipient_outcomes(std::string_view log) {
  std::vector<RecipientOutcome> out;
  std::size_t pos = 0;
  for (auto eol = log.find('\n'); eol != std::string_view::npos; eol = log.find('\n', pos)) {
    auto line = log.substr(pos, eol - pos);
    pos = eol + 1;
    auto [index_text, rest] = split_field(line);
    auto [state_text, detail] = split_field(rest);
    RecipientOutcome outcome;
    if (line.find_first_of(std::string_view("\r\0", 2)) != std::string_view::npos) continue;
    if (!parse_int(index_text, outcome.index)) continue;
    if (state_text == "delivered")
      outcome.state = RecipientState::delivered;
    else if (state_text == "failed")
      outcome.state = RecipientState::failed;
    else
      continue;
    outcome.detail = detail;
    out.push_back(std::move(outcome));
  }
  return out;
}

}  // namespace mxrelay::queue
