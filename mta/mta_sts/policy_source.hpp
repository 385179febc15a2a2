// mta/mta_sts: the MTA-STS policy in force for a recipient domain (RFC 8461 sections 3.3 and
// 5.1): the _mta-sts TXT id through the relay's resolver, the on-disk cache, a fetch when the
// cache holds nothing fresh for that id. The choice of step is pure (next_step); lookup() is
// the glue. Rules: a fresh cached policy with the announced id is used without a fetch; a
// changed id or an expired policy is refetched; a failed fetch or an invalid new policy keeps
// a fresh cached policy in force, else there is no policy; no TXT record (or a broken one)
// with a fresh cached policy keeps it, else there is no policy.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>

#include "mta/mta_sts/policy_cache.hpp"
#include "mta/mta_sts/policy_fetcher.hpp"
#include "mta/mta_sts/sts_policy.hpp"
#include "resolver/unbound_client.hpp"

namespace mxrelay::mta::sts {

enum class Origin { none, cache, fetch };
std::string_view to_string(Origin origin);

// What went wrong on the way to a new policy (metrics and TLS-RPT result types).
enum class Problem { none, txt_invalid, txt_lookup, fetch_failed, webpki, policy_invalid };
// "txt_invalid", ...: the metrics label; "none" for none.
const char* to_string(Problem problem);

struct PolicyLookup {
  std::optional<DomainPolicy> policy;  // in force (any mode); empty: no policy
  Origin origin = Origin::none;
  std::int64_t expires_at = 0;  // of the policy in force (Unix seconds)
  Problem problem = Problem::none;
  std::string detail;  // the problem in words; "" without one
};

enum class Step { use_cache, fetch, no_policy };
// txt_id: the announced id or why there is none.
Step next_step(const std::expected<std::string, std::string>& txt_id,
               const std::optional<CachedPolicy>& cached, std::int64_t now);

class PolicySource {
 public:
  // keep_fetched: a fetched policy is written to the cache (the relay); false leaves the cache
  // as it is (`mxrelay route`, which may run as another user). memory: the relay's in-memory
  // layer over the cache folder (outliving the source); none: the files are read every time.
  PolicySource(std::filesystem::path cache_dir, std::filesystem::path ca_file,
               bool keep_fetched = true, PolicyMemory* memory = nullptr)
      : cache_(std::move(cache_dir), memory),
        ca_file_(std::move(ca_file)),
        keep_fetched_(keep_fetched) {}

  // domain: canonical A-label. now: Unix seconds.
  boost::asio::awaitable<PolicyLookup> lookup(resolver::UnboundClient& dns, std::string domain,
                                              std::int64_t now);
  const PolicyCache& cache() const { return cache_; }

 private:
  PolicyCache cache_;
  std::filesystem::path ca_file_;
  bool keep_fetched_;
};

}  // namespace mxrelay::mta::sts
