// tests/mta: the /healthz verdict from the listener's state and the spool probe.
#include "mta/health_check.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

namespace mxrelay::mta {
namespace {

struct Case {
  const char* name;
  std::optional<ListenerHealth> listener;
  bool spool_ok;
  int http_status;
  std::string listener_detail;
  std::string spool_detail;
};

ListenerHealth listening(std::size_t endpoints, bool stopping = false, std::string error = "") {
  ListenerHealth health;
  health.listening = endpoints;
  health.stopping = stopping;
  health.accept_error = std::move(error);
  return health;
}

TEST(HealthCheck, JudgesListenerAndSpool) {
  const std::vector<Case> cases = {
      {"healthy", listening(2), true, 200, "accepting on 2 address(es)", "writable"},
      {"spool full", listening(1), false, 503, "accepting on 1 address(es)",
       "not writable: 452 4.3.1 Insufficient system storage (probe: No space left on device)"},
      {"stopping", listening(1, true), true, 503, "shutting down: not accepting mail", "writable"},
      {"no endpoint", listening(0), true, 503, "not listening", "writable"},
      {"accept fails", listening(1, false, "Too many open files"), true, 503,
       "accepting connections fails: Too many open files", "writable"},
      {"loop stuck", std::nullopt, true, 503, "the event loop did not answer", "writable"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    HealthInputs inputs;
    inputs.listener = c.listener;
    if (!c.spool_ok)
      inputs.spool = std::unexpected(core::Failure::temporary(
          452, {4, 3, 1}, "Insufficient system storage (probe: No space left on device)"));
    auto verdict = judge_health(inputs);
    EXPECT_EQ(verdict.http_status, c.http_status);
    ASSERT_TRUE(verdict.body.ends_with("\n"));
    auto body = boost::json::parse(verdict.body).as_object();
    EXPECT_EQ(body.at("status").as_string(), c.http_status == 200 ? "ok" : "failing");
    const auto& checks = body.at("checks").as_array();
    ASSERT_EQ(checks.size(), 2u);
    EXPECT_EQ(checks[0].at("name").as_string(), "listener");
    EXPECT_EQ(checks[0].at("detail").as_string(), c.listener_detail);
    EXPECT_EQ(checks[1].at("name").as_string(), "spool");
    EXPECT_EQ(checks[1].at("detail").as_string(), c.spool_detail);
    EXPECT_EQ(checks[1].at("ok").as_bool(), c.spool_ok);
  }
}

}  // namespace
}  // namespace mxrelay::mta
