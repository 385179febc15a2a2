// mta/cluster: the Redis key names and the suspension value.
#include "mta/cluster/cluster_keys.hpp"

#include <cctype>
#include <charconv>

namespace mxrelay::mta {

namespace {

std::string key(std::string_view prefix, std::string_view kind, std::string_view site) {
  std::string out(prefix);
  out += kind;
  out += ':';
  out += site;
  return out;
}

}  // namespace

std::string share_name(std::string_view site, std::string_view source) {
  std::string out(site);
  if (!source.empty()) {
    out += '@';
    out += source;
  }
  return out;
}

std::string lease_key(std::string_view prefix, std::string_view site) {
  return key(prefix, "conns", site);
}

std::string rate_key(std::string_view prefix, std::string_view site) {
  return key(prefix, "rate", site);
}

std::string suspension_key(std::string_view prefix, std::string_view site) {
  return key(prefix, "suspend", site);
}

std::string health_key(std::string_view prefix) {
  return std::string(prefix) + "health";
}

std::string health_field(std::string_view destination, std::string_view address) {
  std::string out;
  for (const unsigned char c : destination) out += static_cast<char>(std::tolower(c));
  out += '|';
  out += address;
  return out;
}

std::optional<HealthField> parse_health_field(std::string_view field) {
  const auto bar = field.rfind('|');
  if (bar == 0 || bar == std::string_view::npos || bar + 1 == field.size()) return std::nullopt;
  return HealthField{std::string(field.substr(0, bar)), std::string(field.substr(bar + 1))};
}

std::string format_suspension(const SuspensionRecord& record) {
  return record.node + " " + std::to_string(record.until_unix_ms) + " " + record.reply;
}

std::optional<SuspensionRecord> parse_suspension(std::string_view value) {
  const auto node_end = value.find(' ');
  if (node_end == 0 || node_end == std::string_view::npos) return std::nullopt;
  const auto until_end = value.find(' ', node_end + 1);
  if (until_end == std::string_view::npos) return std::nullopt;
  SuspensionRecord record;
  record.node = value.substr(0, node_end);
  const auto until = value.substr(node_end + 1, until_end - node_end - 1);
  const auto [end, error] =
      std::from_chars(until.data(), until.data() + until.size(), record.until_unix_ms);
  if (until.empty() || error != std::errc{} || end != until.data() + until.size() ||
      record.until_unix_ms < 0)
    return std::nullopt;
  record.reply = value.substr(until_end + 1);
  return record;
}

}  // namespace mxrelay::mta
