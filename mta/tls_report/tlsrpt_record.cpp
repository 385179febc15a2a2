// mta/tls_report: the _smtp._tls record and rua URIs (see tlsrpt_record.hpp).
#include "mta/tls_report/tlsrpt_record.hpp"

#include <charconv>

#include "conf/mailbox_address.hpp"
#include "core/ascii_case.hpp"

namespace mxrelay::mta::tlsrpt {

namespace {

constexpr std::string_view kVersion = "v=TLSRPTv1";

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto at = text.find(separator);
    out.push_back(trimmed(text.substr(0, at)));
    if (at == std::string_view::npos) return out;
    text.remove_prefix(at + 1);
  }
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         core::equals_ignoring_case(text.substr(0, prefix.size()), prefix);
}

std::optional<Rua> parse_https(std::string_view uri, std::string_view rest) {
  Rua rua;
  rua.kind = Rua::Kind::https;
  rua.uri = std::string(uri);
  const auto path_at = rest.find('/');
  auto authority = rest.substr(0, path_at);
  rua.target = path_at == std::string_view::npos ? "/" : std::string(rest.substr(path_at));
  if (authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view port;
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    rua.host = std::string(authority.substr(1, close - 1));
    auto after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(":")) return std::nullopt;
    if (!after.empty()) port = after.substr(1);
  } else {
    const auto colon = authority.find(':');
    rua.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (rua.host.empty()) return std::nullopt;
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (error != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
      return std::nullopt;
    rua.port = static_cast<std::uint16_t>(value);
  }
  return rua;
}

}  // namespace

std::optional<Rua> parse_rua(std::string_view uri) {
  if (starts_with_ignoring_case(uri, "https://")) return parse_https(uri, uri.substr(8));
  if (!starts_with_ignoring_case(uri, "mailto:")) return std::nullopt;
  auto address = uri.substr(7);
  address = address.substr(0, address.find('?'));
  auto parsed = conf::parse_mailbox_address(address);
  if (!parsed) return std::nullopt;
  Rua rua;
  rua.uri = std::string(uri);
  rua.address = *parsed;
  return rua;
}

std::expected<std::vector<std::string>, std::string> parse_tlsrpt_record(
    const std::vector<std::string>& texts) {
  std::vector<std::string_view> records;
  for (const auto& text : texts) {
    const auto field = trimmed(std::string_view(text).substr(0, text.find(';')));
    if (field == kVersion) records.push_back(text);
  }
  if (records.empty()) return std::unexpected(std::string("no v=TLSRPTv1 record"));
  if (records.size() > 1)
    return std::unexpected(std::to_string(records.size()) + " v=TLSRPTv1 records (one is allowed)");
  std::optional<std::vector<std::string>> rua;
  for (auto field : split(records.front(), ';')) {
    const auto equals = field.find('=');
    if (equals == std::string_view::npos) continue;
    if (trimmed(field.substr(0, equals)) != "rua") continue;
    rua.emplace();
    for (auto uri : split(field.substr(equals + 1), ','))
      if (!uri.empty()) rua->emplace_back(uri);
  }
  if (!rua || rua->empty()) return std::unexpected(std::string("the record has no rua"));
  return *rua;
}

}  // namespace mxrelay::mta::tlsrpt
