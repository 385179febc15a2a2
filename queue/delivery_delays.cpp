// queue: delivery_delays().
#include "delivery_delays.hpp"

#include <algorithm>

namespace mxrelay::queue {

DeliveryDelays delivery_delays(std::chrono::system_clock::time_point arrival,
                               std::chrono::system_clock::time_point now,
                               const AttemptTimes& attempt) {
  DeliveryDelays out;
  out.total = std::max(0.0, std::chrono::duration<double>(now - arrival).count());
  out.transmission = std::clamp(attempt.transmission.count(), 0.0, out.total);
  out.connection_setup =
      std::clamp(attempt.connection_setup.count(), 0.0, out.total - out.transmission);
  out.in_queue = out.total - out.transmission - out.connection_setup;
  return out;
}

}  // namespace mxrelay::queue
