// mta/mta_sts: MTA-STS policy parsing and mx matching (see sts_policy.hpp).
#include "mta/mta_sts/sts_policy.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include "core/domain_name.hpp"

namespace mxrelay::mta::sts {

namespace {

bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}

bool is_term_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

std::string_view trim_trailing_wsp(std::string_view text) {
  while (!text.empty() && is_wsp(text.back())) text.remove_suffix(1);
  return text;
}

// The lines of body, each without its LF or CRLF; a final line break is optional.
std::vector<std::string_view> split_lines(std::string_view body) {
  std::vector<std::string_view> lines;
  while (!body.empty()) {
    const auto end = body.find('\n');
    auto line = body.substr(0, end);
    if (line.ends_with('\r')) line.remove_suffix(1);
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    body.remove_prefix(end + 1);
  }
  return lines;
}

std::optional<std::uint32_t> parse_max_age(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value > kMaxMaxAge)
    return std::nullopt;
  return static_cast<std::uint32_t>(value);
}

bool is_valid_mx_pattern(std::string_view pattern) {
  if (pattern.starts_with("*.")) pattern.remove_prefix(2);
  return pattern.find('.') != std::string_view::npos && core::is_valid_hostname(pattern);
}

std::string line_error(std::size_t number, std::string_view what) {
  return "line " + std::to_string(number) + ": " + std::string(what);
}

}  // namespace

std::string_view to_string(Mode mode) {
  switch (mode) {
    case Mode::enforce:
      return "enforce";
    case Mode::testing:
      return "testing";
    case Mode::none:
      break;
  }
  return "none";
}

std::string DomainPolicy::describe() const {
  return "MTA-STS policy of " + domain + " (id " + id + ", mode " +
         std::string(to_string(policy.mode)) + ")";
}

std::expected<Policy, std::string> parse_policy(std::string_view body) {
  Policy policy;
  bool have_version = false;
  bool have_mode = false;
  bool have_max_age = false;
  const auto lines = split_lines(body);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto number = i + 1;
    const auto line = lines[i];
    if (line.empty() && i + 1 == lines.size()) break;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return std::unexpected(line_error(number, "not a \"key: value\" line"));
    const auto key = line.substr(0, colon);
    if (!std::ranges::all_of(key, is_term_char))
      return std::unexpected(line_error(number, "invalid key \"" + std::string(key) + "\""));
    auto value = line.substr(colon + 1);
    while (!value.empty() && is_wsp(value.front())) value.remove_prefix(1);
    value = trim_trailing_wsp(value);
    if (key == "version") {
      if (have_version) return std::unexpected(line_error(number, "version given twice"));
      if (value != "STSv1")
        return std::unexpected(line_error(number, "version is not STSv1: " + std::string(value)));
      have_version = true;
    } else if (key == "mode") {
      if (have_mode) return std::unexpected(line_error(number, "mode given twice"));
      if (value == "enforce")
        policy.mode = Mode::enforce;
      else if (value == "testing")
        policy.mode = Mode::testing;
      else if (value == "none")
        policy.mode = Mode::none;
      else
        return std::unexpected(line_error(number, "unknown mode \"" + std::string(value) + "\""));
      have_mode = true;
    } else if (key == "max_age") {
      if (have_max_age) return std::unexpected(line_error(number, "max_age given twice"));
      const auto max_age = parse_max_age(value);
      if (!max_age)
        return std::unexpected(line_error(
            number, "max_age is not a number of seconds up to 31557600: " + std::string(value)));
      policy.max_age = *max_age;
      have_max_age = true;
    } else if (key == "mx") {
      if (!is_valid_mx_pattern(value))
        return std::unexpected(
            line_error(number, "invalid mx pattern \"" + std::string(value) + "\""));
      policy.mx.push_back(core::canonical_domain(value));
    }
  }
  if (!have_version) return std::unexpected(std::string("no version field"));
  if (!have_mode) return std::unexpected(std::string("no mode field"));
  if (!have_max_age) return std::unexpected(std::string("no max_age field"));
  if (policy.mx.empty() && policy.mode != Mode::none)
    return std::unexpected(std::string("no mx field"));
  return policy;
}

bool mx_pattern_matches(std::string_view pattern, std::string_view host) {
  const auto name = core::canonical_domain(host);
  const auto wanted = core::canonical_domain(pattern);
  if (!wanted.starts_with("*.")) return name == wanted;
  const std::string_view parent = std::string_view(wanted).substr(1);  // ".example.com"
  if (name.size() <= parent.size() || !name.ends_with(parent)) return false;
  const auto label = std::string_view(name).substr(0, name.size() - parent.size());
  return label.find('.') == std::string_view::npos;
}

bool policy_lists_mx(const Policy& policy, std::string_view host) {
  return std::ranges::any_of(
      policy.mx, [host](const std::string& pattern) { return mx_pattern_matches(pattern, host); });
}

}  // namespace mxrelay::mta::sts
