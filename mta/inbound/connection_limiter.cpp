// mta/inbound: counting of inbound connections.
#include "mta/inbound/connection_limiter.hpp"

namespace mxrelay::mta {

const char* to_string(ConnectionAdmission admission) {
  switch (admission) {
    case ConnectionAdmission::admitted:
      return "";
    case ConnectionAdmission::too_many_total:
      return "too_many_connections";
    case ConnectionAdmission::too_many_from_client:
      return "too_many_from_client";
    case ConnectionAdmission::too_many_untrusted:
      return "too_many_untrusted";
  }
  return "";
}

ConnectionLimiter::ConnectionLimiter(InboundConnectionLimits limits) : limits_(limits) {}

ConnectionAdmission ConnectionLimiter::try_open(const std::string& client, bool trusted) {
  if (total_ >= limits_.total) return ConnectionAdmission::too_many_total;
  if (!trusted && untrusted_ >= limits_.untrusted) return ConnectionAdmission::too_many_untrusted;
  const auto found = per_client_.find(client);
  if (found != per_client_.end() && found->second >= limits_.per_client)
    return ConnectionAdmission::too_many_from_client;
  ++per_client_[client];
  ++total_;
  if (!trusted) ++untrusted_;
  return ConnectionAdmission::admitted;
}

void ConnectionLimiter::promote() {
  if (untrusted_ > 0) --untrusted_;
}

void ConnectionLimiter::close(const std::string& client, bool trusted) {
  auto entry = per_client_.find(client);
  if (entry == per_client_.end()) return;
  --total_;
  if (!trusted && untrusted_ > 0) --untrusted_;
  if (--entry->second == 0) per_client_.erase(entry);
}

}  // namespace mxrelay::mta
