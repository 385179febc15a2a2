// mta/mta_sts: finding the MTA-STS policy in force for a domain (see policy_source.hpp).
#include "mta/mta_sts/policy_source.hpp"

#include "core/log_line.hpp"
#include "mta/mta_sts/sts_record.hpp"

namespace mxrelay::mta::sts {

namespace {

PolicyLookup from_cache(const std::string& domain, const CachedPolicy& cached) {
  PolicyLookup out;
  out.policy = DomainPolicy{domain, cached.id, cached.policy};
  out.origin = Origin::cache;
  out.expires_at = cached.expires_at();
  return out;
}

// The TXT id, or why there is none; a DNS failure is a problem, absence is not.
struct TxtResult {
  std::expected<std::string, std::string> id;
  Problem problem = Problem::none;
};

TxtResult txt_id_of(const resolver::DnsAnswer& answer) {
  using resolver::DnsOutcome;
  if (answer.outcome == DnsOutcome::nodata || answer.outcome == DnsOutcome::nxdomain)
    return {std::unexpected(std::string("no _mta-sts TXT record")), Problem::none};
  if (answer.outcome != DnsOutcome::ok)
    return {std::unexpected("_mta-sts TXT lookup failed (" +
                            std::string(resolver::to_string(answer.outcome)) + ")"),
            Problem::txt_lookup};
  auto id = policy_id_of(answer.texts);
  if (!id) return {std::unexpected("_mta-sts TXT record: " + id.error()), Problem::txt_invalid};
  return {std::move(id), Problem::none};
}

}  // namespace

std::string_view to_string(Origin origin) {
  switch (origin) {
    case Origin::cache:
      return "cache";
    case Origin::fetch:
      return "fetch";
    case Origin::none:
      break;
  }
  return "none";
}

const char* to_string(Problem problem) {
  switch (problem) {
    case Problem::txt_invalid:
      return "txt_invalid";
    case Problem::txt_lookup:
      return "txt_lookup";
    case Problem::fetch_failed:
      return "fetch_failed";
    case Problem::webpki:
      return "webpki";
    case Problem::policy_invalid:
      return "policy_invalid";
    case Problem::none:
      break;
  }
  return "none";
}

Step next_step(const std::expected<std::string, std::string>& txt_id,
               const std::optional<CachedPolicy>& cached, std::int64_t now) {
  const bool fresh = cached && cached->fresh_at(now);
  if (!txt_id) return fresh ? Step::use_cache : Step::no_policy;
  if (fresh && cached->id == *txt_id) return Step::use_cache;
  return Step::fetch;
}

boost::asio::awaitable<PolicyLookup> PolicySource::lookup(resolver::UnboundClient& dns,
                                                          std::string domain, std::int64_t now) {
  auto cached = cache_.load(domain);
  const auto answer = co_await dns.query("_mta-sts." + domain, resolver::RrType::txt);
  auto txt = txt_id_of(answer);
  PolicyLookup out;
  switch (next_step(txt.id, cached, now)) {
    case Step::use_cache:
      out = from_cache(domain, *cached);
      break;
    case Step::no_policy:
      break;
    case Step::fetch: {
      auto body = co_await fetch_policy_body(dns, "mta-sts." + domain, ca_file_);
      if (!body) {
        out.problem = body.error().kind == FetchFailure::Kind::webpki ? Problem::webpki
                                                                      : Problem::fetch_failed;
        out.detail = "policy fetch failed: " + body.error().reason;
        break;
      }
      auto policy = parse_policy(*body);
      if (!policy) {
        out.problem = Problem::policy_invalid;
        out.detail = "policy invalid: " + policy.error();
        break;
      }
      CachedPolicy fetched{*txt.id, now, std::move(*body), std::move(*policy)};
      if (auto stored =
              keep_fetched_ ? cache_.store(domain, fetched) : std::expected<void, std::string>();
          !stored)
        core::LogLine("mta_sts_cache_error", core::Severity::error)
            .kv("domain", domain)
            .kv("reason", stored.error())
            .emit();
      out = from_cache(domain, fetched);
      out.origin = Origin::fetch;
      co_return out;
    }
  }
  if (out.problem == Problem::none && txt.problem != Problem::none) {
    out.problem = txt.problem;
    out.detail = txt.id.error();
  }
  if (out.problem != Problem::none && !out.policy && cached && cached->fresh_at(now)) {
    const auto problem = out.problem;
    auto detail = std::move(out.detail);
    out = from_cache(domain, *cached);
    out.problem = problem;
    out.detail = std::move(detail);
  }
  co_return out;
}

}  // namespace mxrelay::mta::sts
