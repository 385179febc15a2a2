// resolver: NextHopResolver — the I/O around the pure policy: MX query, concurrent address
// queries for the chosen hosts, timing for the observer, and the explanation.
#include "next_hop_resolver.hpp"

#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/domain_name.hpp"

namespace mxrelay::resolver {

namespace asio = boost::asio;

NextHopResolver::NextHopResolver(UnboundClient& dns, PolicyContext policy,
                                 ResolverObserver* observer)
    : dns_(dns), policy_(std::move(policy)), observer_(observer), random_(std::random_device{}()) {}

asio::awaitable<RouteExplanation> NextHopResolver::resolve_mx(std::string domain,
                                                              std::uint16_t port) {
  auto policy = policy_;
  policy.port = port;
  RouteExplanation explanation;
  explanation.domain = core::canonical_domain(domain);
  explanation.lookup_name = explanation.domain;
  explanation.queries.push_back(co_await ask(explanation.domain, RrType::mx));
  auto plan = plan_mx_hosts(explanation.domain, explanation.queries.back(), policy, random_);
  if (!plan) {
    explanation.result = std::unexpected(plan.error());
    co_return finish(std::move(explanation));
  }
  explanation.implicit_mx = plan->source == HostSource::implicit_mx;
  explanation.notes = plan->notes;
  auto answers = co_await ask_addresses(*plan);
  explanation.queries.insert(explanation.queries.end(), answers.begin(), answers.end());
  explanation.result = choose_candidates(*plan, answers, policy, random_, explanation.notes);
  co_return finish(std::move(explanation));
}

asio::awaitable<RouteExplanation> NextHopResolver::resolve_host(std::string host,
                                                                std::uint16_t port) {
  auto policy = policy_;
  policy.port = port;
  RouteExplanation explanation;
  explanation.domain = core::canonical_domain(host);
  explanation.lookup_name = explanation.domain;
  if (auto literal = parse_address_literal(explanation.domain)) {
    explanation.result = literal_candidate(explanation.domain, *literal, policy, explanation.notes);
    co_return finish(std::move(explanation));
  }
  auto plan = plan_single_host(explanation.domain);
  explanation.queries = co_await ask_addresses(plan);
  explanation.result =
      choose_candidates(plan, explanation.queries, policy, random_, explanation.notes);
  co_return finish(std::move(explanation));
}

asio::awaitable<DnsAnswer> NextHopResolver::ask(std::string name, RrType type) {
  auto started = std::chrono::steady_clock::now();
  auto answer = co_await dns_.query(std::move(name), type);
  if (observer_ != nullptr) observer_->on_query(answer, std::chrono::steady_clock::now() - started);
  co_return answer;
}

asio::awaitable<std::vector<DnsAnswer>> NextHopResolver::ask_addresses(const MxPlan& plan) {
  auto executor = co_await asio::this_coro::executor;
  using Operation = decltype(asio::co_spawn(executor, ask({}, RrType::a), asio::deferred));
  std::vector<Operation> operations;
  for (const auto& host : plan.hosts)
    for (auto type : address_types(policy_.ip_version))
      operations.push_back(asio::co_spawn(executor, ask(host.name, type), asio::deferred));
  if (operations.empty()) co_return std::vector<DnsAnswer>{};
  auto [order, errors, answers] =
      co_await asio::experimental::make_parallel_group(std::move(operations))
          .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
  for (const auto& error : errors)
    if (error) std::rethrow_exception(error);
  co_return answers;
}

RouteExplanation NextHopResolver::finish(RouteExplanation explanation) {
  if (observer_ != nullptr) observer_->on_route(explanation);
  return explanation;
}

}  // namespace mxrelay::resolver
