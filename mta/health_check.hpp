// mta: the relay's health verdict, answered on GET /healthz of the metrics listener: healthy
// only while every inbound listener accepts connections, the event loop answers and a write to
// the spool can be made durable. Pure: the relay gathers the inputs, this judges them.
#pragma once

#include <cstddef>
#include <expected>
#include <optional>
#include <string>

#include "core/smtp_status.hpp"

namespace mxrelay::mta {

// The inbound listener as the event loop sees it.
struct ListenerHealth {
  std::size_t listening = 0;  // endpoints accepting connections
  bool stopping = false;      // the relay is shutting down
  std::string accept_error;   // the last accept(2) error, "" once an accept succeeded again
};

struct HealthInputs {
  std::optional<ListenerHealth> listener;  // nullopt: the event loop did not answer in time
  std::expected<void, core::Failure> spool;
};

struct HealthVerdict {
  int http_status = 503;  // 200 healthy, 503 not
  // {"status":"ok"|"failing","checks":[{"name","ok","detail"},...]}
  std::string body;
};

HealthVerdict judge_health(const HealthInputs& inputs);

}  // namespace mxrelay::mta
