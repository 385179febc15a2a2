// mta/shaping: matching_rule().
#include "mta/shaping/throttle_rule_match.hpp"

#include <algorithm>

#include "core/ascii_case.hpp"
#include "core/smtp_status.hpp"

namespace mxrelay::mta {

bool status_has_prefix(std::string_view status, std::string_view prefix) {
  if (!status.starts_with(prefix)) return false;
  return status.size() == prefix.size() || status[prefix.size()] == '.';
}

const conf::ThrottleRule* matching_rule(std::span<const conf::ThrottleRule> rules,
                                        std::string_view reply) {
  if (reply.size() < 3 || reply[0] != '4' || reply[1] < '0' || reply[1] > '9' || reply[2] < '0' ||
      reply[2] > '9')
    return nullptr;
  const auto rest = reply.size() > 4 ? reply.substr(4) : std::string_view();
  const auto status = core::EnhancedStatus::parse(rest);
  const auto status_text = status ? status->str() : std::string();
  for (const auto& rule : rules) {
    if (!rule.code.empty() && (status_text.empty() || !status_has_prefix(status_text, rule.code)))
      continue;
    if (!rule.text.empty() && std::ranges::none_of(rule.text, [&](const std::string& phrase) {
          return core::contains_ignoring_case(reply, phrase);
        }))
      continue;
    return &rule;
  }
  return nullptr;
}

}  // namespace mxrelay::mta
