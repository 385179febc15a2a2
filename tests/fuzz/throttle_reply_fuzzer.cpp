// tests/fuzz: a remote server's reply against the built-in sites' throttling rules
// (mta/shaping). Properties: only a 4xx reply matches a rule; a rule with a code matches only
// a reply whose enhanced status has that prefix; a rule with phrases only a reply holding one
// of them (ASCII case ignored).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/ascii_case.hpp"
#include "core/smtp_status.hpp"
#include "fuzz_input.hpp"
#include "mta/shaping/throttle_rule_match.hpp"

namespace {
using mxrelay::fuzz::require;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto sites = mxrelay::conf::default_shaping_sites();
  const auto reply = mxrelay::fuzz::as_text(data, size);
  for (const auto& site : sites) {
    const auto* rule = mxrelay::mta::matching_rule(site.on_reply, reply);
    if (!rule) continue;
    require(reply.size() >= 3 && reply[0] == '4', "only a 4xx reply is a throttle");
    if (!rule->code.empty()) {
      const auto status =
          mxrelay::core::EnhancedStatus::parse(reply.size() > 4 ? reply.substr(4) : "");
      require(status && mxrelay::mta::status_has_prefix(status->str(), rule->code),
              "a code rule matches its enhanced status prefix");
    }
    bool phrase_found = rule->text.empty();
    for (const auto& phrase : rule->text)
      phrase_found = phrase_found || mxrelay::core::contains_ignoring_case(reply, phrase);
    require(phrase_found, "a phrase rule matches a reply holding one of its phrases");
  }
  return 0;
}
