// mta/inbound: counting of inbound connections.
#include "mta/inbound/connection_limiter.hpp"

namespace mxrelay::mta {

ConnectionLimiter::ConnectionLimiter(std::size_t max_total, std::size_t max_per_client)
    : max_total_(max_total), max_per_client_(max_per_client) {}

void ConnectionLimiter::set_limits(std::size_t max_total, std::size_t max_per_client) {
  max_total_ = max_total;
  max_per_client_ = max_per_client;
}

bool ConnectionLimiter::try_open(const std::string& client) {
  if (total_ >= max_total_) return false;
  std::size_t& count = per_client_[client];
  if (count >= max_per_client_) {
    if (count == 0) per_client_.erase(client);
    return false;
  }
  ++count;
  ++total_;
  return true;
}

void ConnectionLimiter::close(const std::string& client) {
  auto entry = per_client_.find(client);
  if (entry == per_client_.end()) return;
  --total_;
  if (--entry->second == 0) per_client_.erase(entry);
}

}  // namespace mxrelay::mta
