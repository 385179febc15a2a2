// resolver: the hook through which the resolver reports what it did (for metrics), so the
// resolver itself depends on no metrics library. The default implementation ignores all.
#pragma once

#include <chrono>

#include "dns_answer.hpp"
#include "route.hpp"

namespace mxrelay::resolver {

class ResolverObserver {
 public:
  virtual ~ResolverObserver() = default;
  // After every DNS query, with the time it took.
  virtual void on_query(const DnsAnswer& /*answer*/, std::chrono::nanoseconds /*latency*/) {}
  // After every resolve_mx / resolve_host, with the complete explanation and verdict.
  virtual void on_route(const RouteExplanation& /*explanation*/) {}
};

}  // namespace mxrelay::resolver
