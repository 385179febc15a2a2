// tests/fuzz: MTA-STS input from the network (mta/mta_sts): the input is NUL-separated parts,
// the first a policy body as an HTTPS server might send it, the others the texts of the
// _mta-sts TXT RRset. Properties: a refused policy says why; an accepted one has a mode, a
// max_age within RFC 8461's year, at least one mx pattern unless its mode is none, and every
// pattern in canonical form matches a host made from it (itself, or one label under a
// wildcard) and never the wildcard's parent; an accepted TXT id is 1 to 32 letters and digits.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_input.hpp"
#include "mta/mta_sts/sts_policy.hpp"
#include "mta/mta_sts/sts_record.hpp"

namespace {

using mxrelay::fuzz::require;
namespace sts = mxrelay::mta::sts;

bool canonical(std::string_view pattern) {
  if (pattern.empty() || pattern.back() == '.') return false;
  for (char c : pattern)
    if (c >= 'A' && c <= 'Z') return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = mxrelay::fuzz::split_at_nul(mxrelay::fuzz::as_text(data, size));
  const auto policy = sts::parse_policy(parts.front());
  if (!policy) {
    require(!policy.error().empty(), "a refused policy says why");
  } else {
    require(policy->max_age <= sts::kMaxMaxAge, "max_age within a year");
    require(policy->mode == sts::Mode::none || !policy->mx.empty(),
            "enforce and testing name at least one mx");
    for (const auto& pattern : policy->mx) {
      require(canonical(pattern), "mx patterns are canonical");
      if (pattern.starts_with("*.")) {
        const auto parent = pattern.substr(2);
        require(sts::mx_pattern_matches(pattern, "mx." + parent), "a wildcard matches one label");
        require(!sts::mx_pattern_matches(pattern, parent), "a wildcard never matches its parent");
        require(!sts::mx_pattern_matches(pattern, "a.b." + parent),
                "a wildcard matches one label only");
      } else {
        require(sts::mx_pattern_matches(pattern, pattern), "a pattern matches itself");
      }
      require(sts::policy_lists_mx(*policy,
                                   pattern.starts_with("*.") ? "mx." + pattern.substr(2) : pattern),
              "the policy lists the hosts its patterns match");
    }
  }
  const std::vector<std::string> texts(parts.begin() + 1, parts.end());
  if (const auto id = sts::policy_id_of(texts)) {
    require(!id->empty() && id->size() <= 32, "an id has 1 to 32 characters");
    for (unsigned char c : *id) require(std::isalnum(c) != 0, "an id is letters and digits");
  } else {
    require(!id.error().empty(), "a refused record says why");
  }
  return 0;
}
