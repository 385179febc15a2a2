// mta/outbound: the candidate order of one delivery (see candidate_plan.hpp).
#include "mta/outbound/candidate_plan.hpp"

namespace mxrelay::mta {

CandidatePlan::CandidatePlan(std::size_t candidates, bool plaintext_allowed)
    : candidates_(candidates), plaintext_allowed_(plaintext_allowed) {}

std::optional<PlannedAttempt> CandidatePlan::next() {
  if (state_ != State::trying) return std::nullopt;
  if (retry_plaintext_) {
    retry_plaintext_ = false;
    return PlannedAttempt{*current_, true};
  }
  const std::size_t candidate = current_ ? *current_ + 1 : 0;
  if (candidate >= candidates_) {
    state_ = State::exhausted;
    return std::nullopt;
  }
  current_ = candidate;
  return PlannedAttempt{candidate, false};
}

void CandidatePlan::record(AttemptEnd end, TlsPolicy policy) {
  switch (end) {
    case AttemptEnd::credentials_refused:
      state_ = State::stopped;
      return;
    case AttemptEnd::tls_failed:
      retry_plaintext_ = plaintext_allowed_ && plaintext_retry_allowed(policy);
      return;
    case AttemptEnd::unusable:
      return;
  }
}

}  // namespace mxrelay::mta
