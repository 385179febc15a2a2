// mta/outbound: the order in which one delivery tries the next hop's addresses, as a pure
// state machine (no I/O): the admitted candidates one after the other; after a failed TLS
// handshake with a policy that allows it (`may`, RFC 7435), once more in plaintext on the
// same address, unless credentials or implicit TLS forbid plaintext; refused credentials
// stop at once (every address would get the same ones). An answer from a server ends the
// delivery, and with it the plan. The Asio driver (smtp_delivery) connects where it says and
// reports each attempt that got no answer.
#pragma once

#include <cstddef>
#include <optional>

#include "mta/protocol/tls_policy_rules.hpp"

namespace mxrelay::mta {

// The connection to make next.
struct PlannedAttempt {
  std::size_t candidate = 0;     // index into the admitted candidates
  bool plaintext_retry = false;  // the same address again, without TLS
};

// How an attempt from next() ended without an answer to the message.
enum class AttemptEnd {
  unusable,             // no session: DANE, source address, connect, greeting, lost
  tls_failed,           // the TLS handshake (or the certificate check) failed
  credentials_refused,  // AUTH refused, or no mechanism in common
};

class CandidatePlan {
 public:
  // plaintext_allowed: false with credentials or implicit TLS.
  CandidatePlan(std::size_t candidates, bool plaintext_allowed);

  // nullopt when the plan is over: stopped() or destination_failed().
  std::optional<PlannedAttempt> next();
  // policy: the one the attempt's session used (DANE may have changed the configured one).
  void record(AttemptEnd end, TlsPolicy policy);

  bool stopped() const { return state_ == State::stopped; }  // credentials refused
  // Every candidate was tried (or there were none) and none answered.
  bool destination_failed() const { return state_ == State::exhausted; }

 private:
  enum class State { trying, stopped, exhausted };
  std::size_t candidates_;
  bool plaintext_allowed_;
  State state_ = State::trying;
  std::optional<std::size_t> current_;  // the candidate of the attempt in progress
  bool retry_plaintext_ = false;
};

}  // namespace mxrelay::mta
