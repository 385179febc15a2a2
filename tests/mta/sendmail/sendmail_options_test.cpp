// tests/mta/sendmail: parse_sendmail_options() on the command lines cron, mailx and
// scripts use, and on the ones it must refuse.
#include "mta/sendmail/sendmail_options.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace mxrelay::mta::sendmail {
namespace {

struct OptionsCase {
  std::vector<std::string_view> arguments;
  std::string config;
  std::optional<std::string> sender;
  std::optional<std::string> full_name;
  bool from_headers;
  bool dot_ends_input;
  std::vector<std::string> recipients;
};

TEST(SendmailOptions, ParsesWhatCallersPass) {
  const std::vector<OptionsCase> cases = {
      {{"a@x.example"},
       "/etc/default.toml",
       std::nullopt,
       std::nullopt,
       false,
       true,
       {"a@x.example"}},
      {{"-t"}, "/etc/default.toml", std::nullopt, std::nullopt, true, true, {}},
      {{"-i", "-f", "s@x.example", "a@x.example", "b@x.example"},
       "/etc/default.toml",
       "s@x.example",
       std::nullopt,
       false,
       false,
       {"a@x.example", "b@x.example"}},
      {{"-fs@x.example", "-oi", "a@x.example"},
       "/etc/default.toml",
       "s@x.example",
       std::nullopt,
       false,
       false,
       {"a@x.example"}},
      {{"-r", "bounce@x.example", "a@x.example"},
       "/etc/default.toml",
       "bounce@x.example",
       std::nullopt,
       false,
       true,
       {"a@x.example"}},
      {{"-rbounce@x.example", "a@x.example"},
       "/etc/default.toml",
       "bounce@x.example",
       std::nullopt,
       false,
       true,
       {"a@x.example"}},
      // Debian cron: sendmail -FCronDaemon -i -B8BITMIME -oem USER
      {{"-FCronDaemon", "-i", "-B8BITMIME", "-oem", "a@x.example"},
       "/etc/default.toml",
       std::nullopt,
       "CronDaemon",
       false,
       false,
       {"a@x.example"}},
      {{"-F", "Backup job", "-odi", "-oee", "-om", "-v", "-odb", "a@x.example"},
       "/etc/default.toml",
       std::nullopt,
       "Backup job",
       false,
       true,
       {"a@x.example"}},
      {{"-c", "/tmp/relay.toml", "-t"},
       "/tmp/relay.toml",
       std::nullopt,
       std::nullopt,
       true,
       true,
       {}},
      {{"-c/tmp/relay.toml", "-t"}, "/tmp/relay.toml", std::nullopt, std::nullopt, true, true, {}},
      {{"-f", "", "a@x.example"},
       "/etc/default.toml",
       "",
       std::nullopt,
       false,
       true,
       {"a@x.example"}},
      // "--" ends the options; a recipient may then start with "-".
      {{"-t", "--", "-odd@x.example"},
       "/etc/default.toml",
       std::nullopt,
       std::nullopt,
       true,
       true,
       {"-odd@x.example"}},
      // Options after the first recipient are recipients.
      {{"a@x.example", "-t"},
       "/etc/default.toml",
       std::nullopt,
       std::nullopt,
       false,
       true,
       {"a@x.example", "-t"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.arguments.empty() ? "" : std::string(c.arguments.front()));
    auto options = parse_sendmail_options(c.arguments, "/etc/default.toml");
    ASSERT_TRUE(options.has_value()) << options.error();
    EXPECT_EQ(options->config, c.config);
    EXPECT_EQ(options->sender, c.sender);
    EXPECT_EQ(options->full_name, c.full_name);
    EXPECT_EQ(options->recipients_from_headers, c.from_headers);
    EXPECT_EQ(options->dot_ends_input, c.dot_ends_input);
    EXPECT_EQ(options->recipients, c.recipients);
  }
}

TEST(SendmailOptions, RefusesUnknownOptionsAndMissingValues) {
  const std::vector<std::pair<std::vector<std::string_view>, std::string>> cases = {
      {{"-bs"}, "unknown option -bs"},
      {{"-bp"}, "unknown option -bp"},
      {{"-q"}, "unknown option -q"},
      {{"-oX"}, "unknown option -oX"},
      {{"--help"}, "unknown option --help"},
      {{"-f"}, "option -f needs a value"},
      {{"-t", "-F"}, "option -F needs a value"},
      {{"-c"}, "option -c needs a value"},
  };
  for (const auto& [arguments, error] : cases) {
    auto options = parse_sendmail_options(arguments, "/etc/default.toml");
    ASSERT_FALSE(options.has_value()) << arguments.front();
    EXPECT_EQ(options.error(), error);
  }
}

}  // namespace
}  // namespace mxrelay::mta::sendmail
