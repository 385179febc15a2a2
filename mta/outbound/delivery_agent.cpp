// mta/outbound: one destination's delivery: back-off, route, candidates (see delivery_agent.hpp).
#include "mta/outbound/delivery_agent.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/log_line.hpp"
#include "mta/cluster/cluster_keys.hpp"
#include "mta/outbound/dane_policy.hpp"
#include "mta/outbound/source_choice.hpp"
#include "mta/protocol/tls_required_header.hpp"
#include "mta/shaping/site_matcher.hpp"
#include "mta/tls_report/policy_key.hpp"
#include "queue/retry_schedule.hpp"
#include "resolver/candidate_hosts.hpp"

namespace mxrelay::mta {

namespace asio = boost::asio;

namespace {
std::chrono::system_clock::time_point wall_clock(std::chrono::steady_clock::time_point when) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(
             when - std::chrono::steady_clock::now());
}

// A message whose source address's share of a site is suspended while another's is not tries
// again this much later (from the other).
constexpr auto kSourceSwitchRetry = std::chrono::seconds(1);
// A message refused a connection lease by the cluster tries again this much later.
constexpr auto kClusterLeaseRetry = std::chrono::seconds(2);
// Cluster rate slots kept for messages that never came back are dropped once this many are
// kept and they are this old.
constexpr std::size_t kClusterSlotsBeforePruning = 10000;
constexpr auto kStaleClusterSlot = std::chrono::minutes(10);
}  // namespace

ClusterShareStatus cluster_status(bool shared, const std::vector<const ShareState*>& shares) {
  ClusterShareStatus out;
  out.shared = shared;
  if (shares.empty()) return out;
  std::size_t connections = 0;
  const SuspensionRecord* longest = nullptr;
  for (const auto* share : shares) {
    connections += share->connections;
    if (share->suspension &&
        (!longest || share->suspension->until_unix_ms > longest->until_unix_ms))
      longest = &*share->suspension;
  }
  out.connections = connections;
  if (longest) {
    out.suspended_until =
        std::chrono::system_clock::time_point(std::chrono::milliseconds(longest->until_unix_ms));
    out.suspended_by = longest->node;
    out.suspension_reply = longest->reply;
  }
  return out;
}

DeliveryAgent::DeliveryAgent(boost::asio::any_io_executor executor, Metrics& metrics,
                             const conf::DeliveryConfig& config)
    : executor_(std::move(executor)), metrics_(metrics), context_(config) {
  context_.pool().set_observer([this](const std::string& label, std::size_t open) {
    metrics_.set_destination_connections(label, static_cast<double>(open));
  });
}

boost::asio::awaitable<DestinationOutcome> DeliveryAgent::deliver(
    const conf::Config& config, resolver::NextHopResolver& resolver, DestinationRequest request) {
  DestinationOutcome out;
  const auto started = std::chrono::steady_clock::now();
  const auto destination = destination_of(config, request.decision, request.domain);
  if (const auto backoff_end =
          context_.backoff().backed_off_until(destination.name, std::chrono::steady_clock::now())) {
    out.backed_off_until = wall_clock(*backoff_end);
    out.backoff_reason =
        "destination " + destination.name + " is backed off after repeated failures";
    co_return out;
  }
  auto route = co_await resolver::resolve_route(resolver, request.decision, request.domain);
  if (!route.result) {
    for (auto index : request.recipients)
      out.recipients.push_back(queue::DeliveryOutcome::from_failure(index, route.result.error()));
    co_return out;
  }
  const auto* site = site_for(config.shaping, resolver::candidate_hosts(*route.result));
  remember_site(request.domain, site ? site->site : std::string("other"));
  const auto configured = conf::configured_sources(config.delivery);
  const auto source = choose_source_for(site, request.envelope.id, configured, *route.result);
  const auto source_name = source ? source->str() : std::string();
  const auto share = share_name(site ? site->site : std::string(), source_name);
  const auto candidates = candidates_from(*route.result, source, configured);
  auto limits = destination.limits;
  if (site) {
    const auto admission =
        shaper_.admit(*site, request.envelope.id, std::chrono::steady_clock::now(), source_name);
    if (admission.kind == SiteAdmission::Kind::later) {
      metrics_.site_deferral(site->site, admission.suspended ? "suspended" : "rate_limit");
      out.backed_off_until = wall_clock(admission.at);
      out.backoff_reason = admission.reason;
      co_return out;
    }
    auto leaves = admission.at;
    const auto rate = shaper_.rate_limit(*site, std::chrono::steady_clock::now(), source_name);
    if (cluster_ && rate > 0) {
      const auto slot = co_await cluster_slot(share, request.envelope.id, rate);
      if (slot > std::chrono::steady_clock::now() + kLongestShapingWait) {
        metrics_.site_deferral(site->site, "rate_limit");
        out.backed_off_until = wall_clock(slot);
        out.backoff_reason =
            "site " + site->site + " is limited to " +
            std::to_string(static_cast<long long>(std::lround(rate))) + " messages a minute" +
            (source ? " from " + source_name : std::string()) + " across the cluster";
        co_return out;
      }
      leaves = std::max(leaves, slot);
    }
    if (leaves > std::chrono::steady_clock::now()) {
      asio::steady_timer wait(executor_, leaves);
      co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    limits.site = site->site;
    limits.site_limit =
        shaper_.connection_limit(*site, std::chrono::steady_clock::now(), source_name);
    if (site->max_messages_per_connection > 0)
      limits.max_messages_per_connection =
          std::min(limits.max_messages_per_connection, site->max_messages_per_connection);
  }
  const auto& helo = config.outbound_helo_name();
  if (destination.limits.label != "mx")
    destination_labels_.insert_or_assign(destination.name, destination.limits.label);
  DeliveryRequest delivery{request.envelope, request.recipients, request.body, destination.name,
                           &limits,          &resolver.dns(),    &route};
  if (site) {
    delivery.throttle_rules = site->on_reply;
    delivery.site_suspended = [this, site, source_name] {
      return shaper_.suspended_until(*site, std::chrono::steady_clock::now(), source_name);
    };
    if (cluster_ && limits.site_limit > 0)
      delivery.site_lease = [this, share, limit = limits.site_limit] {
        return cluster_lease(share, limit);
      };
  }
  if (const auto auth = config.auth.find(request.decision.auth); auth != config.auth.end()) {
    delivery.auth_table = request.decision.auth;
    delivery.credentials = ClientCredentials{auth->second.username, auth->second.password};
  }
  delivery.implicit_tls = request.decision.implicit_tls;
  delivery.source = source;
  // The header is read only where it could change something, and once.
  const bool relaxed =
      (request.decision.mta_sts || uses_dane(request.decision.tls)) && relaxed_by_header(request);
  auto tls_policy = tls_policy_for(request, relaxed);
  sts::PolicyLookup sts_lookup;
  if (request.decision.mta_sts && !relaxed)
    sts_lookup = co_await mta_sts_policy(config, resolver, request);
  if (sts_lookup.policy) {
    delivery.sts = &*sts_lookup.policy;
    // Sessions (pooled ones too) to an enforce domain are verified unless DANE authenticates.
    if (sts_lookup.policy->policy.mode == sts::Mode::enforce && !uses_dane(tls_policy))
      tls_policy = TlsPolicy::verify;
  }
  auto report = co_await mta::deliver(executor_, candidates, delivery, config.delivery, helo,
                                      context_, tls_policy);
  share_health(destination.name, config, report);
  if (site && report.site_held_until) {
    const bool suspended = report.site_held_reason.empty();
    metrics_.site_deferral(site->site, suspended ? "suspended" : "connection_limit");
    out.backed_off_until =
        wall_clock(suspended && another_source_open(*site, source_name, configured, *route.result)
                       ? std::chrono::steady_clock::now() + kSourceSwitchRetry
                       : *report.site_held_until);
    out.backoff_reason =
        suspended ? shaper_.suspension_reason(*site, std::chrono::steady_clock::now(), source_name)
                  : report.site_held_reason;
    co_return out;
  }
  count(report);
  report_tls(request, sts_lookup, report);
  if (site && report.throttle_rule) {
    const auto resume = note_throttle(*site, source_name, request, report);
    // Another source address's share of the site may take the message at once.
    out.throttled_until =
        wall_clock(another_source_open(*site, source_name, configured, *route.result)
                       ? std::min(resume, std::chrono::steady_clock::now() + kSourceSwitchRetry)
                       : resume);
  } else
    note_destination_outcome(destination, report);
  log(request, destination, delivery, report);
  for (const auto& line : report.transcript) out.transcript += line + "\n";
  out.times.connection_setup =
      report.transmission_start.value_or(std::chrono::steady_clock::now()) - started;
  out.times.transmission = report.transmission;
  out.recipients = std::move(report.recipients);
  co_return out;
}

boost::asio::awaitable<sts::PolicyLookup> DeliveryAgent::mta_sts_policy(
    const conf::Config& config, resolver::NextHopResolver& resolver,
    const DestinationRequest& request) {
  sts::PolicySource source(config.queue.dir / "mta-sts", config.delivery.tls_ca_file, true,
                           &sts_memory_);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  auto lookup = co_await source.lookup(resolver.dns(), request.decision.a_label, now);
  metrics_.mta_sts_lookup(std::string(sts::to_string(lookup.origin)).c_str());
  if (lookup.problem != sts::Problem::none) {
    metrics_.mta_sts_problem(sts::to_string(lookup.problem));
    core::LogLine("mta_sts_problem", core::Severity::warning)
        .kv("queue_id", request.envelope.id)
        .kv("domain", request.decision.a_label)
        .kv("problem", sts::to_string(lookup.problem))
        .kv("detail", lookup.detail)
        .kv("policy",
            lookup.policy ? lookup.policy->describe() + " from the cache" : std::string("none"))
        .emit();
  }
  if (lookup.origin == sts::Origin::fetch)
    core::LogLine("mta_sts_policy")
        .kv("domain", request.decision.a_label)
        .kv("id", lookup.policy->id)
        .kv("mode", sts::to_string(lookup.policy->policy.mode))
        .kv("max_age", static_cast<long long>(lookup.policy->policy.max_age))
        .emit();
  co_return lookup;
}

void DeliveryAgent::report_tls(const DestinationRequest& request, const sts::PolicyLookup& sts,
                               const DeliveryReport& report) {
  if (!tls_observer_) return;
  const auto& domain = request.decision.a_label;
  // A policy that could not be had is the domain's failure, counted once per delivery; its
  // sessions ran without a policy and are not counted again.
  if (!sts.policy) {
    if (const auto result = tlsrpt::classify_sts_problem(sts::to_string(sts.problem))) {
      tls_observer_({tlsrpt::sts_policy_key(domain, nullptr), *result, {}, {}, {}});
      return;
    }
  }
  for (const auto& session : report.tls_sessions) {
    tlsrpt::Observation observation;
    observation.policy = session.dane ? tlsrpt::tlsa_policy_key(domain, session.tlsa)
                         : sts.policy ? tlsrpt::sts_policy_key(domain, &sts.policy->policy)
                                      : tlsrpt::no_policy_key(domain);
    observation.result = session.result;
    observation.sending_ip = session.sending_ip;
    observation.receiving_mx = session.receiving_mx;
    observation.receiving_ip = session.receiving_ip;
    tls_observer_(observation);
  }
}

bool DeliveryAgent::relaxed_by_header(const DestinationRequest& request) {
  return !request.envelope.require_tls && tls_required_no(request.body);
}

TlsPolicy DeliveryAgent::tls_policy_for(const DestinationRequest& request, bool relaxed) {
  const auto policy = request.decision.tls;
  // REQUIRETLS: verified TLS (DANE where it applies) on every hop, whatever the route says.
  if (request.envelope.require_tls) return uses_dane(policy) ? policy : TlsPolicy::verify;
  // "TLS-Required: No": the recipient's DANE policy is not applied (TLS stays opportunistic).
  if (uses_dane(policy) && relaxed) return TlsPolicy::may;
  return policy;
}

DeliveryAgent::Destination DeliveryAgent::destination_of(
    const conf::Config& config, const resolver::TransportDecision& decision,
    const std::string& domain) {
  Destination out;
  out.name = decision.name;  // the recipient domain's A-label for recipient_mx
  out.limits.label = "mx";
  out.limits.per_destination = config.delivery.max_connections_per_destination;
  out.limits.total = config.delivery.max_connections;
  out.limits.max_messages_per_connection = config.delivery.max_messages_per_connection;
  out.limits.idle_time = config.delivery.connection_idle_time;
  const auto* entry = decision.entry_location.empty() ? nullptr : config.transport.match(domain);
  if (entry) {
    out.limits.label = entry->key;
    if (entry->max_connections) out.limits.per_destination = *entry->max_connections;
  }
  return out;
}

void DeliveryAgent::share_health(const std::string& destination, const conf::Config& config,
                                 const DeliveryReport& report) {
  if (!cluster_) return;
  for (const auto& [address, reason] : report.health_opened)
    asio::co_spawn(executor_,
                   cluster_->publish_health_hold(destination, address.str(),
                                                 config.delivery.health_cool_down, reason),
                   asio::detached);
  for (const auto& address : report.health_cleared)
    asio::co_spawn(executor_, cluster_->clear_health_hold(destination, address.str()),
                   asio::detached);
}

void DeliveryAgent::apply_health_holds(const std::vector<RemoteHealthHold>& holds) {
  std::vector<ClusterHold> learned;
  for (const auto& hold : holds)
    if (const auto address = core::IpAddress::parse(hold.address))
      learned.push_back(
          ClusterHold{hold.destination, *address, hold.until, hold.reason, hold.node});
  for (const auto& hold :
       context_.health().apply_cluster_holds(learned, AddressHealth::Clock::now()))
    core::LogLine("address_held_by_cluster", core::Severity::warning)
        .kv("domain", hold.destination)
        .kv("address", hold.address.str())
        .kv("node", hold.node)
        .kv("until", static_cast<long long>(queue::to_unix(wall_clock(hold.until))))
        .kv("reason", hold.reason)
        .emit();
}

void DeliveryAgent::note_destination_outcome(const Destination& destination,
                                             const DeliveryReport& report) {
  auto& backoff = context_.backoff();
  if (!report.destination_failed) {
    backoff.record_success(destination.name);
    return;
  }
  const auto until = backoff.record_failure(destination.name, std::chrono::steady_clock::now());
  if (!until) return;
  core::LogLine("destination_backoff", core::Severity::warning)
      .kv("domain", destination.name)
      .kv("until", static_cast<long long>(queue::to_unix(wall_clock(*until))))
      .kv("reason", report.recipients.empty() ? std::string() : report.recipients.front().reason)
      .emit();
}

std::optional<core::IpAddress> DeliveryAgent::choose_source_for(
    const conf::ShapingSite* site, const std::string& message_id,
    const std::vector<core::IpAddress>& configured,
    const std::vector<resolver::Candidate>& candidates) {
  const auto usable = usable_sources(configured, candidates);
  if (usable.empty()) return std::nullopt;
  const auto now = std::chrono::steady_clock::now();
  std::vector<SourceOption> options;
  for (const auto& address : usable) {
    const auto name = address.str();
    SourceOption option;
    option.next_slot = now;
    option.last_chosen = source_chosen_[name];
    if (site) {
      option.open = context_.pool().site_connections(site->site, name);
      option.limit = shaper_.connection_limit(*site, now, name);
      option.suspended = shaper_.suspended_until(*site, now, name).has_value();
      option.keeps_slot = shaper_.keeps_slot(*site, message_id, name);
      option.next_slot = shaper_.next_slot(*site, message_id, now, name);
    } else {
      option.open = context_.pool().source_connections(name);
    }
    options.push_back(option);
  }
  const auto& chosen = usable[choose_source(options, now)];
  source_chosen_[chosen.str()] = ++choices_;
  return chosen;
}

bool DeliveryAgent::another_source_open(const conf::ShapingSite& site, const std::string& source,
                                        const std::vector<core::IpAddress>& configured,
                                        const std::vector<resolver::Candidate>& candidates) const {
  const auto now = std::chrono::steady_clock::now();
  return std::ranges::any_of(usable_sources(configured, candidates), [&](const auto& address) {
    const auto name = address.str();
    return name != source && !shaper_.suspended_until(site, now, name);
  });
}

std::chrono::steady_clock::time_point DeliveryAgent::note_throttle(
    const conf::ShapingSite& site, const std::string& source, const DestinationRequest& request,
    const DeliveryReport& report) {
  const auto& rule = *report.throttle_rule;
  const auto now = std::chrono::steady_clock::now();
  const auto resume =
      shaper_.throttled(site, rule, report.throttle_reply,
                        context_.pool().site_connections(site.site, source), now, source);
  metrics_.site_throttle_reply(site.site, conf::to_string(rule.action));
  if (cluster_ && rule.action == conf::ThrottleAction::suspend)
    asio::co_spawn(
        executor_,
        cluster_->publish_suspension(share_name(site.site, source), resume, report.throttle_reply),
        asio::detached);
  core::LogLine("site_throttled", core::Severity::warning)
      .kv("queue_id", request.envelope.id)
      .kv("site", site.site)
      .kv("source", source.empty() ? std::string("kernel") : source)
      .kv("domain", request.domain)
      .kv("relay", report.remote.relay())
      .kv("action", conf::to_string(rule.action))
      .kv("duration", static_cast<long long>(rule.duration.count()))
      .kv("retry_at", static_cast<long long>(queue::to_unix(wall_clock(resume))))
      .kv("reply", report.throttle_reply)
      .emit();
  return resume;
}

asio::awaitable<std::chrono::steady_clock::time_point> DeliveryAgent::cluster_slot(
    std::string site, std::string message_id, double rate) {
  if (const auto kept = cluster_slots_.find(message_id); kept != cluster_slots_.end()) {
    const auto slot = kept->second;
    cluster_slots_.erase(kept);
    co_return slot;
  }
  const auto delay = co_await cluster_->rate_delay(std::move(site), rate);
  const auto now = std::chrono::steady_clock::now();
  const auto slot = now + delay;
  if (slot <= now + kLongestShapingWait) co_return slot;
  if (cluster_slots_.size() >= kClusterSlotsBeforePruning)
    std::erase_if(cluster_slots_,
                  [&](const auto& entry) { return entry.second + kStaleClusterSlot < now; });
  cluster_slots_.insert_or_assign(std::move(message_id), slot);
  co_return slot;
}

asio::awaitable<std::expected<std::shared_ptr<const void>, SiteHold>> DeliveryAgent::cluster_lease(
    std::string site, std::size_t limit) {
  auto held = co_await cluster_->hold_connection(site, limit);
  if (held) co_return std::shared_ptr<const void>(std::move(*held));
  co_return std::unexpected(SiteHold{std::chrono::steady_clock::now() + kClusterLeaseRetry,
                                     "site " + site + " has its " + std::to_string(limit) +
                                         " connections open across the cluster"});
}

std::vector<std::string> DeliveryAgent::source_names(const conf::Config& config) {
  std::vector<std::string> out;
  for (const auto& address : conf::configured_sources(config.delivery))
    out.push_back(address.str());
  // The kernel's choice: no source configured, or one of a family without one.
  out.emplace_back();
  return out;
}

asio::awaitable<void> DeliveryAgent::poll_cluster(std::shared_ptr<const conf::Config> config) {
  if (!cluster_) co_return;
  std::vector<std::string> names;
  std::map<std::string, std::pair<const conf::ShapingSite*, std::string>> shares;
  for (const auto& site : config->shaping)
    for (const auto& source : source_names(*config)) {
      names.push_back(share_name(site.site, source));
      shares.emplace(names.back(), std::pair{&site, source});
    }
  auto states = co_await cluster_->share_states(names);
  cluster_shares_.clear();
  if (states)
    for (auto& state : *states) cluster_shares_.insert_or_assign(state.share, std::move(state));
  if (const auto holds = co_await cluster_->poll_health_holds()) apply_health_holds(*holds);
  const auto seen = co_await cluster_->poll_suspensions(std::move(names));
  for (const auto& remote : seen) {
    const auto found = shares.find(remote.site);
    if (found == shares.end()) continue;
    const auto* site = found->second.first;
    const auto& source = found->second.second;
    if (!shaper_.impose_suspension(*site, remote.until, remote.reply,
                                   context_.pool().site_connections(site->site, source),
                                   std::chrono::steady_clock::now(), source))
      continue;
    core::LogLine("site_suspended_by_cluster", core::Severity::warning)
        .kv("site", site->site)
        .kv("source", source.empty() ? std::string("kernel") : source)
        .kv("node", remote.node)
        .kv("until", static_cast<long long>(queue::to_unix(wall_clock(remote.until))))
        .kv("reply", remote.reply)
        .emit();
  }
}

void DeliveryAgent::remember_site(const std::string& domain, const std::string& site) {
  // Bounded: forgotten all at once when it grows past what any queue needs.
  constexpr std::size_t kMaxRemembered = 100000;
  if (domain_sites_.size() >= kMaxRemembered && !domain_sites_.contains(domain))
    domain_sites_.clear();
  domain_sites_.insert_or_assign(domain, site);
}

std::string DeliveryAgent::site_of_domain(const std::string& domain) const {
  const auto found = domain_sites_.find(domain);
  return found == domain_sites_.end() ? std::string() : found->second;
}

std::vector<SiteStatus> DeliveryAgent::sites(const conf::Config& config) const {
  std::vector<SiteStatus> out;
  const auto now = std::chrono::steady_clock::now();
  const auto sources = source_names(config);
  for (const auto& site : config.shaping) {
    SiteStatus status;
    for (const auto& source : sources) {
      // The kernel's share is shown when it is the only one, or has been used.
      if (source.empty() && sources.size() > 1 && !shaper_.known(site, source) &&
          context_.pool().site_connections(site.site, source) == 0)
        continue;
      SourceStatus share{
          shaper_.view(site, context_.pool().site_connections(site.site, source), now, source),
          {},
          cluster_site(site, {source})};
      if (share.view.suspended_until)
        share.suspended_until = wall_clock(*share.view.suspended_until);
      status.sources.push_back(std::move(share));
    }
    std::vector<SiteView> shares;
    for (const auto& share : status.sources) shares.push_back(share.view);
    status.view = whole_site(site.site, shares);
    if (status.view.suspended_until)
      status.suspended_until = wall_clock(*status.view.suspended_until);
    status.cluster = cluster_site(site, sources);
    out.push_back(std::move(status));
  }
  return out;
}

std::optional<ClusterShareStatus> DeliveryAgent::cluster_site(
    const conf::ShapingSite& site, const std::vector<std::string>& sources) const {
  if (!cluster_) return std::nullopt;
  // While Redis is unavailable the last poll's counts are not the cluster's any more.
  const bool shared = cluster_->available();
  std::vector<const ShareState*> shares;
  for (const auto& source : shared ? sources : std::vector<std::string>{})
    if (const auto found = cluster_shares_.find(share_name(site.site, source));
        found != cluster_shares_.end())
      shares.push_back(&found->second);
  return cluster_status(shared, shares);
}

std::size_t DeliveryAgent::connections_outside_sites(const conf::Config& config) const {
  auto outside = context_.pool().open_connections();
  for (const auto& site : config.shaping) outside -= context_.pool().site_connections(site.site);
  return outside;
}

void DeliveryAgent::set_dkim(const std::vector<conf::DkimEntry>& entries) {
  auto signer = std::make_shared<const dkim::DkimSigner>(entries);
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& entry : entries)
    keys.emplace_back(entry.domain, entry.algorithm == conf::DkimAlgorithm::rsa_sha256
                                        ? "rsa-sha256"
                                        : "ed25519-sha256");
  metrics_.declare_dkim_keys(keys);
  context_.set_signer(std::move(signer));
}

void DeliveryAgent::count(const DeliveryReport& report) {
  for (unsigned i = 0; i < report.connections_opened; ++i) {
    metrics_.outbound_connection(false);
    metrics_.session_opened("outbound");
  }
  for (unsigned i = 0; i < report.connections_reused; ++i) metrics_.outbound_connection(true);
  const std::string policy(to_string(report.tls.policy));
  for (const auto* outcome : report.tls_outcomes) metrics_.outbound_tls(policy.c_str(), outcome);
  for (unsigned i = 0; i < report.protocol_errors; ++i) metrics_.outbound_protocol_error();
  for (const auto& signature : report.dkim_signatures)
    metrics_.dkim_signature(signature.domain, signature.algorithm);
  if (report.dkim_unsigned) metrics_.dkim_unsigned(dkim::to_string(*report.dkim_unsigned));
  if (report.dkim_error) metrics_.dkim_error();
  for (unsigned i = 0; i < report.sts_enforced_failures; ++i) metrics_.mta_sts_failure("enforce");
  for (std::size_t i = 0; i < report.sts_testing_failures.size(); ++i)
    metrics_.mta_sts_failure("testing");
}

void DeliveryAgent::log(const DestinationRequest& request, const Destination& destination,
                        const DeliveryRequest& delivery, const DeliveryReport& report) {
  const auto& id = request.envelope.id;
  if (report.auth == AuthOutcome::refused || report.auth == AuthOutcome::unavailable) {
    metrics_.outbound_auth_failure(destination.limits.label);
    core::LogLine("outbound_auth_failed", core::Severity::error)
        .kv("queue_id", id)
        .kv("transport", destination.limits.label)
        .kv("relay", report.remote.relay())
        .kv("sasl_username", delivery.credentials->username)
        .kv("reply",
            report.auth_reply.empty() ? report.recipients.front().reason : report.auth_reply)
        .emit();
  }
  for (const auto& failure : report.sts_testing_failures)
    core::LogLine("mta_sts_testing_failure", core::Severity::warning)
        .kv("queue_id", id)
        .kv("domain", request.domain)
        .kv("policy", delivery.sts ? delivery.sts->describe() : std::string())
        .kv("detail", failure)
        .emit();
  for (const auto& skipped : report.skipped)
    core::LogLine("address_skipped", core::Severity::warning)
        .kv("queue_id", id)
        .kv("domain", request.domain)
        .kv("detail", skipped)
        .emit();
  if (report.tls.used || report.tls.fell_back)
    core::LogLine("tls")
        .kv("queue_id", id)
        .kv("relay", report.remote.relay())
        .kv("policy", to_string(report.tls.policy))
        .kv("version", report.tls.version)
        .kv("cipher", report.tls.cipher)
        .kv("verification", report.tls.verification)
        .kv("fell_back", report.tls.fell_back ? "yes" : "no")
        .emit();
}

std::vector<UnhealthyAddress> DeliveryAgent::unhealthy_addresses() const {
  return context_.health().unhealthy(AddressHealth::Clock::now());
}

std::unordered_map<std::string, double> DeliveryAgent::unhealthy_by_label() const {
  std::unordered_map<std::string, double> by_label;
  for (const auto& unhealthy : unhealthy_addresses()) {
    const auto label = destination_labels_.find(unhealthy.destination);
    ++by_label[label == destination_labels_.end() ? std::string("mx") : label->second];
  }
  return by_label;
}

void DeliveryAgent::close_idle() {
  context_.pool().close_idle();
}

}  // namespace mxrelay::mta
