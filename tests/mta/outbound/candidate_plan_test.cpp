// tests/mta/outbound: the candidate order of one delivery, replayed as scripts: each row
// says how every attempt ends, and the plan must ask for exactly the expected connections
// and end as expected; the same script is replayed with the failure injected at every step.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mta/outbound/candidate_plan.hpp"

namespace mxrelay::mta {
namespace {

// "0" is candidate 0, "0p" candidate 0 again in plaintext.
std::string name(const PlannedAttempt& attempt) {
  return std::to_string(attempt.candidate) + (attempt.plaintext_retry ? "p" : "");
}

enum class Ending { running, answered, stopped, destination_failed };

struct Replay {
  std::vector<std::string> attempts;
  Ending ending = Ending::running;
};

// Feeds `ends` to the plan, one per attempt; an attempt beyond them is answered.
Replay replay(std::size_t candidates, bool plaintext_allowed, TlsPolicy policy,
              const std::vector<AttemptEnd>& ends) {
  CandidatePlan plan(candidates, plaintext_allowed);
  Replay out;
  std::size_t step = 0;
  while (const auto attempt = plan.next()) {
    out.attempts.push_back(name(*attempt));
    if (step == ends.size()) {
      out.ending = Ending::answered;
      return out;
    }
    plan.record(ends[step++], attempt->plaintext_retry ? TlsPolicy::none : policy);
    if (out.attempts.size() > 16) return out;  // a plan that never ends fails the row
  }
  out.ending = plan.stopped() ? Ending::stopped : Ending::destination_failed;
  EXPECT_EQ(plan.destination_failed(), out.ending == Ending::destination_failed);
  return out;
}

using E = AttemptEnd;

struct Row {
  const char* what;
  std::size_t candidates;
  bool plaintext_allowed;
  TlsPolicy policy;
  std::vector<AttemptEnd> ends;
  std::vector<std::string> attempts;
  Ending ending;
};

TEST(CandidatePlan, FollowsTheScript) {
  const std::vector<Row> rows = {
      {"first answers", 3, true, TlsPolicy::may, {}, {"0"}, Ending::answered},
      {"no candidates", 0, true, TlsPolicy::may, {}, {}, Ending::destination_failed},
      {"next address after a failed connection",
       3,
       true,
       TlsPolicy::may,
       {E::unusable, E::unusable},
       {"0", "1", "2"},
       Ending::answered},
      {"every address fails",
       2,
       true,
       TlsPolicy::may,
       {E::unusable, E::unusable},
       {"0", "1"},
       Ending::destination_failed},
      {"may: plaintext on the same address after a TLS failure",
       2,
       true,
       TlsPolicy::may,
       {E::tls_failed},
       {"0", "0p"},
       Ending::answered},
      {"may: the plaintext retry fails too, then the next address",
       2,
       true,
       TlsPolicy::may,
       {E::tls_failed, E::unusable},
       {"0", "0p", "1"},
       Ending::answered},
      {"encrypt: no plaintext, next address",
       2,
       true,
       TlsPolicy::encrypt,
       {E::tls_failed},
       {"0", "1"},
       Ending::answered},
      {"verify: no plaintext",
       1,
       true,
       TlsPolicy::verify,
       {E::tls_failed},
       {"0"},
       Ending::destination_failed},
      {"credentials forbid plaintext",
       2,
       false,
       TlsPolicy::may,
       {E::tls_failed},
       {"0", "1"},
       Ending::answered},
      {"refused credentials stop at once",
       3,
       false,
       TlsPolicy::may,
       {E::credentials_refused},
       {"0"},
       Ending::stopped},
      {"refused credentials after a failed address",
       3,
       false,
       TlsPolicy::may,
       {E::unusable, E::credentials_refused},
       {"0", "1"},
       Ending::stopped},
  };
  for (const auto& row : rows) {
    const auto got = replay(row.candidates, row.plaintext_allowed, row.policy, row.ends);
    EXPECT_EQ(got.attempts, row.attempts) << row.what;
    EXPECT_EQ(got.ending, row.ending) << row.what;
  }
}

// With n candidates, a failure of each kind injected at every step k (the attempts before k
// fail at the connection, attempt k fails with the kind, the next one answers).
TEST(CandidatePlan, AFailureAtEveryStep) {
  constexpr std::size_t n = 4;
  for (std::size_t k = 0; k < n; ++k) {
    std::vector<AttemptEnd> ends(k, E::unusable);
    for (const auto kind : {E::unusable, E::tls_failed, E::credentials_refused}) {
      auto script = ends;
      script.push_back(kind);
      const auto got = replay(n, true, TlsPolicy::may, script);
      const std::string what = "k=" + std::to_string(k) + " kind=" + std::to_string(int(kind));
      if (kind == E::credentials_refused) {
        EXPECT_EQ(got.attempts.size(), k + 1) << what;
        EXPECT_EQ(got.ending, Ending::stopped) << what;
      } else if (kind == E::tls_failed) {
        ASSERT_EQ(got.attempts.size(), k + 2) << what;
        EXPECT_EQ(got.attempts.back(), std::to_string(k) + "p") << what;
        EXPECT_EQ(got.ending, Ending::answered) << what;
      } else {
        const bool last = k + 1 == n;
        EXPECT_EQ(got.attempts.size(), last ? n : k + 2) << what;
        EXPECT_EQ(got.ending, last ? Ending::destination_failed : Ending::answered) << what;
      }
    }
  }
}

TEST(CandidatePlan, NothingAfterTheEnd) {
  CandidatePlan plan(1, true);
  ASSERT_TRUE(plan.next());
  plan.record(E::credentials_refused, TlsPolicy::may);
  EXPECT_FALSE(plan.next());
  EXPECT_FALSE(plan.next());
  EXPECT_TRUE(plan.stopped());
  EXPECT_FALSE(plan.destination_failed());
}

}  // namespace
}  // namespace mxrelay::mta
