// Tests for the RFC 3461 NOTIFY decision (should_notify) and may_bounce.
#include "queue/dsn_parameters.hpp"

#include <gtest/gtest.h>

#include "queue/dsn_report.hpp"

namespace mxrelay::queue {
namespace {

struct NotifyCase {
  const char* name;
  std::optional<DsnNotify> notify;
  DsnAction action;
  bool expected;
};

constexpr DsnNotify kNever{.never = true};
constexpr DsnNotify kSuccess{.success = true};
constexpr DsnNotify kFailure{.failure = true};
constexpr DsnNotify kDelay{.delay = true};
constexpr DsnNotify kAll{.success = true, .failure = true, .delay = true};

TEST(ShouldNotify, Table) {
  const NotifyCase cases[] = {
      {"default failed", std::nullopt, DsnAction::failed, true},
      {"default delayed", std::nullopt, DsnAction::delayed, true},
      {"default delivered", std::nullopt, DsnAction::delivered, false},
      {"default relayed", std::nullopt, DsnAction::relayed, false},
      {"default expanded", std::nullopt, DsnAction::expanded, false},
      {"never failed", kNever, DsnAction::failed, false},
      {"never delayed", kNever, DsnAction::delayed, false},
      {"never delivered", kNever, DsnAction::delivered, false},
      {"success failed", kSuccess, DsnAction::failed, false},
      {"success delayed", kSuccess, DsnAction::delayed, false},
      {"success delivered", kSuccess, DsnAction::delivered, true},
      {"success relayed", kSuccess, DsnAction::relayed, true},
      {"success expanded", kSuccess, DsnAction::expanded, true},
      {"failure failed", kFailure, DsnAction::failed, true},
      {"failure delayed", kFailure, DsnAction::delayed, false},
      {"failure delivered", kFailure, DsnAction::delivered, false},
      {"delay failed", kDelay, DsnAction::failed, false},
      {"delay delayed", kDelay, DsnAction::delayed, true},
      {"delay relayed", kDelay, DsnAction::relayed, false},
      {"all failed", kAll, DsnAction::failed, true},
      {"all delayed", kAll, DsnAction::delayed, true},
      {"all delivered", kAll, DsnAction::delivered, true},
  };
  for (const auto& c : cases) EXPECT_EQ(should_notify(c.notify, c.action), c.expected) << c.name;
}

TEST(MayBounce, NeverBounceABounce) {
  Envelope message;
  message.sender = "alice@corp.example";
  EXPECT_TRUE(may_bounce(message));
  EXPECT_FALSE(message.is_bounce());
  message.sender = "";
  EXPECT_FALSE(may_bounce(message));
  EXPECT_TRUE(message.is_bounce());
}

}  // namespace
}  // namespace mxrelay::queue
