// queue: where a recipient's delay went, as Postfix splits it in delays=a/b/c/d: before the
// queue manager (a; always 0 here: a message is in the queue from its 250), waiting in the
// queue (b: retries, back-off, the scheduler), connection setup of the attempt that ended it
// (c: DNS, TCP, greeting, EHLO, STARTTLS, AUTH) and message transmission (d: MAIL FROM to
// the final reply). Pure arithmetic on times the delivery engine measured.
#pragma once

#include <chrono>

namespace mxrelay::queue {

// Measured by the delivery engine for one attempt; zero for outcomes decided without one.
struct AttemptTimes {
  std::chrono::duration<double> connection_setup{};
  std::chrono::duration<double> transmission{};
};

struct DeliveryDelays {
  double total = 0;  // seconds from arrival to now (Postfix's delay=)
  double before_queue = 0;
  double in_queue = 0;
  double connection_setup = 0;
  double transmission = 0;
};

// The parts never go below 0 and never add up to more than the total.
DeliveryDelays delivery_delays(std::chrono::system_clock::time_point arrival,
                               std::chrono::system_clock::time_point now,
                               const AttemptTimes& attempt);

}  // namespace mxrelay::queue
