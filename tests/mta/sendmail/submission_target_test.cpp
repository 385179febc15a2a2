// tests/mta/sendmail: submission_target(): the relay's first listen address (a wildcard made
// loopback) and host name, read from configuration text.
#include "mta/sendmail/submission_target.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "conf/listen_endpoint.hpp"

namespace mxrelay::mta::sendmail {
namespace {

conf::ServerConfig defaults() {
  conf::ServerConfig server;
  server.listen = {*conf::parse_listen_endpoint("127.0.0.1:2525")};
  server.hostname = "machine.example";
  return server;
}

TEST(SubmissionTarget, IsTheFirstListenAddress) {
  struct Case {
    std::string toml;
    std::string endpoint;
    std::string hostname;
  };
  const std::vector<Case> cases = {
      {"", "127.0.0.1:2525", "machine.example"},
      {"[server]\nhostname = \"relay.example\"\n", "127.0.0.1:2525", "relay.example"},
      {"[server]\nlisten = [\"127.0.0.1:25\"]\n", "127.0.0.1:25", "machine.example"},
      {"[server]\nlisten = [\"192.0.2.10:25\", \"127.0.0.1:25\"]\n", "192.0.2.10:25",
       "machine.example"},
      {"[server]\nlisten = [\"0.0.0.0:25\", \"[::]:25\"]\n", "127.0.0.1:25", "machine.example"},
      {"[server]\nlisten = [\"[::]:587\"]\n", "[::1]:587", "machine.example"},
      {"[server]\nlisten = [\"[::1]:25\"]\n", "[::1]:25", "machine.example"},
      // Keys sendmail does not read may name files it cannot open: they are not looked at.
      {"[server]\ncredentials_file = \"/nonexistent\"\n[auth.isp]\npassword_file = \"/x\"\n",
       "127.0.0.1:2525", "machine.example"},
  };
  for (const auto& c : cases) {
    auto target = submission_target(c.toml, "relay.toml", defaults());
    ASSERT_TRUE(target.has_value()) << c.toml << ": " << target.error();
    EXPECT_EQ(target->endpoint.str(), c.endpoint) << c.toml;
    EXPECT_EQ(target->hostname, c.hostname) << c.toml;
  }
}

TEST(SubmissionTarget, NamesWhatIsWrong) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[server]\nlisten = []\n", "relay.toml: server.listen has no first address to submit to"},
      {"[server]\nlisten = [\"localhost:25\"]\n",
       "relay.toml: server.listen has no first address to submit to"},
      {"[server\n", "relay.toml:1: "},
  };
  for (const auto& [toml, error] : cases) {
    auto target = submission_target(toml, "relay.toml", defaults());
    ASSERT_FALSE(target.has_value()) << toml;
    EXPECT_TRUE(target.error().starts_with(error)) << target.error();
  }
}

}  // namespace
}  // namespace mxrelay::mta::sendmail
