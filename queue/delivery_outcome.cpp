// queue: names of the outcome enums (log fields and metric labels) and the relay text.
#include "queue/delivery_outcome.hpp"

namespace mxrelay::queue {

const char* to_string(DeliveryStatus status) {
  switch (status) {
    case DeliveryStatus::sent:
      return "sent";
    case DeliveryStatus::deferred:
      return "deferred";
    case DeliveryStatus::bounced:
      return "bounced";
  }
  return "deferred";
}

const char* to_string(FailureScope scope) {
  switch (scope) {
    case FailureScope::none:
      return "none";
    case FailureScope::recipient:
      return "recipient";
    case FailureScope::message:
      return "message";
    case FailureScope::destination:
      return "destination";
    case FailureScope::connection:
      return "connection";
  }
  return "message";
}

std::string RemoteServer::relay() const {
  if (!known()) return "none";
  return host + "[" + address + "]:" + std::to_string(port);
}

DeliveryOutcome DeliveryOutcome::from_failure(std::size_t index, const core::Failure& failure,
                                              FailureScope scope) {
  DeliveryOutcome out;
  out.index = index;
  out.status = failure.is_permanent() ? DeliveryStatus::bounced : DeliveryStatus::deferred;
  out.reply_code = failure.reply_code;
  out.enhanced_status = failure.status;
  out.scope = scope;
  out.remote_reply = failure.remote_reply;
  out.reason = failure.reason;
  return out;
}

}  // namespace mxrelay::queue
