// mta/inbound: limits on concurrent inbound connections, in total and per client address. A
// connection over either limit is answered 421 4.7.0 at connect. Pure bookkeeping.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>

namespace mxrelay::mta {

class ConnectionLimiter {
 public:
  ConnectionLimiter(std::size_t max_total, std::size_t max_per_client);

  // True, and the connection counted, when both limits allow one more.
  bool try_open(const std::string& client);
  // Ends a connection that try_open() counted.
  void close(const std::string& client);
  std::size_t open_connections() const { return total_; }
  // New limits (a reload); connections already open stay open.
  void set_limits(std::size_t max_total, std::size_t max_per_client);

 private:
  std::size_t max_total_;
  std::size_t max_per_client_;
  std::size_t total_ = 0;
  std::unordered_map<std::string, std::size_t> per_client_;
};

}  // namespace mxrelay::mta
