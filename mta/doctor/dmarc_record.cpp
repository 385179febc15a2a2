// mta/doctor: parse_dmarc_record().
#include "mta/doctor/dmarc_record.hpp"

#include <algorithm>
#include <charconv>

namespace mxrelay::mta::doctor {

namespace {

std::string_view trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

bool is_policy(std::string_view value) {
  return value == "none" || value == "quarantine" || value == "reject";
}

std::expected<char, std::string> alignment(std::string_view tag, std::string_view value) {
  if (value == "r" || value == "s") return value[0];
  return std::unexpected(std::string(tag) + "=" + std::string(value) + ": must be r or s");
}

}  // namespace

bool is_dmarc_record(std::string_view text) {
  const auto first = trim(text.substr(0, text.find(';')));
  return first.starts_with("v") && trim(first.substr(1)).starts_with("=") &&
         trim(trim(first.substr(1)).substr(1)) == "DMARC1";
}

std::expected<DmarcRecord, std::string> parse_dmarc_record(std::string_view text) {
  if (!is_dmarc_record(text)) return std::unexpected(std::string("does not start with v=DMARC1"));
  DmarcRecord record;
  std::size_t index = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const auto end = std::min(text.find(';', pos), text.size());
    const auto part = trim(text.substr(pos, end - pos));
    pos = end + 1;
    if (part.empty()) continue;
    const auto equals = part.find('=');
    if (equals == std::string_view::npos)
      return std::unexpected("\"" + std::string(part) + "\" is not tag=value");
    const auto tag = trim(part.substr(0, equals));
    const auto value = trim(part.substr(equals + 1));
    const std::size_t position = index++;
    if (tag == "v") continue;
    if (position == 1 && tag != "p") return std::unexpected(std::string("p= must follow v=DMARC1"));
    if (tag == "p" || tag == "sp") {
      if (!is_policy(value))
        return std::unexpected(std::string(tag) + "=" + std::string(value) +
                               ": must be none, quarantine or reject");
      (tag == "p" ? record.policy : record.subdomain_policy) = std::string(value);
    } else if (tag == "adkim" || tag == "aspf") {
      auto mode = alignment(tag, value);
      if (!mode) return std::unexpected(mode.error());
      (tag == "adkim" ? record.adkim : record.aspf) = *mode;
    } else if (tag == "pct") {
      unsigned pct = 0;
      const auto [ptr, error] = std::from_chars(value.data(), value.data() + value.size(), pct);
      if (error != std::errc() || ptr != value.data() + value.size() || pct > 100)
        return std::unexpected("pct=" + std::string(value) + ": must be 0..100");
      record.pct = pct;
    } else if (tag == "rua") {
      std::size_t start = 0;
      while (start <= value.size()) {
        const auto comma = std::min(value.find(',', start), value.size());
        if (const auto uri = trim(value.substr(start, comma - start)); !uri.empty())
          record.rua.emplace_back(uri);
        start = comma + 1;
      }
    }
  }
  if (record.policy.empty()) return std::unexpected(std::string("no p= tag"));
  return record;
}

}  // namespace mxrelay::mta::doctor
