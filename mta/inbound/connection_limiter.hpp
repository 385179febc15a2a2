// mta/inbound: limits on concurrent inbound connections: in total, per client address, and
// for untrusted clients (outside server.relay_networks) as a group, so that outsiders can
// fill only their own share and the relay's own mail servers always find a slot. A
// connection over a limit is answered 421 4.7.0 at connect. Pure bookkeeping.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>

namespace mxrelay::mta {

struct InboundConnectionLimits {
  std::size_t total = 1000;
  std::size_t per_client = 100;
  std::size_t untrusted = 750;  // at most total
};

enum class ConnectionAdmission {
  admitted,
  too_many_total,
  too_many_from_client,
  too_many_untrusted
};
// The metric label and log reason: "too_many_connections", ...; "" for admitted.
const char* to_string(ConnectionAdmission admission);

class ConnectionLimiter {
 public:
  explicit ConnectionLimiter(InboundConnectionLimits limits);

  // Counts the connection when every limit allows one more.
  ConnectionAdmission try_open(const std::string& client, bool trusted);
  // An untrusted connection that authenticated counts as trusted from now on.
  void promote();
  // Ends a connection that try_open() admitted (trusted: as it counts now).
  void close(const std::string& client, bool trusted);
  std::size_t open_connections() const { return total_; }
  // New limits (a reload); connections already open stay open.
  void set_limits(InboundConnectionLimits limits) { limits_ = limits; }

 private:
  InboundConnectionLimits limits_;
  std::size_t total_ = 0;
  std::size_t untrusted_ = 0;
  std::unordered_map<std::string, std::size_t> per_client_;
};

}  // namespace mxrelay::mta
