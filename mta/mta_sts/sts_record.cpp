// mta/mta_sts: the _mta-sts TXT record (see sts_record.hpp).
#include "mta/mta_sts/sts_record.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace mxrelay::mta::sts {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool is_valid_id(std::string_view id) {
  return !id.empty() && id.size() <= 32 &&
         std::ranges::all_of(id, [](unsigned char c) { return std::isalnum(c) != 0; });
}

// "v=STSv1; id=20160831085700Z;": the id, or why not.
std::expected<std::string, std::string> parse_record(std::string_view text) {
  std::string id;
  bool first = true;
  while (!text.empty()) {
    const auto end = text.find(';');
    const auto field = trim(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (field.empty() && text.empty() && !first) break;
    const auto equals = field.find('=');
    if (equals == std::string_view::npos)
      return std::unexpected("malformed field \"" + std::string(field) + "\"");
    const auto key = field.substr(0, equals);
    const auto value = field.substr(equals + 1);
    if (first && (key != "v" || value != "STSv1"))
      return std::unexpected(std::string("does not start with v=STSv1"));
    if (key == "id") {
      if (!id.empty()) return std::unexpected(std::string("id given twice"));
      if (!is_valid_id(value)) return std::unexpected("invalid id \"" + std::string(value) + "\"");
      id = std::string(value);
    }
    first = false;
  }
  if (id.empty()) return std::unexpected(std::string("no id field"));
  return id;
}

}  // namespace

std::expected<std::string, std::string> policy_id_of(const std::vector<std::string>& texts) {
  std::vector<std::string_view> candidates;
  for (const auto& text : texts)
    if (std::string_view(text).starts_with("v=STSv1")) candidates.push_back(text);
  if (candidates.empty()) return std::unexpected(std::string("no v=STSv1 record"));
  if (candidates.size() > 1) return std::unexpected(std::string("more than one v=STSv1 record"));
  return parse_record(candidates.front());
}

}  // namespace mxrelay::mta::sts
