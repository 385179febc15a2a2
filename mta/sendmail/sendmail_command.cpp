// mta/sendmail: run_sendmail_command().
#include "mta/sendmail/sendmail_command.hpp"

#include <pwd.h>
#include <sysexits.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <random>
#include <string>

#include "conf/default_config.hpp"
#include "conf/text_file.hpp"
#include "mta/sendmail/envelope.hpp"
#include "mta/sendmail/header_completion.hpp"
#include "mta/sendmail/smtp_submission.hpp"
#include "mta/sendmail/submitted_message.hpp"

namespace mxrelay::mta::sendmail {

namespace {

constexpr const char* kUsage =
    "usage: mxrelay sendmail [-t] [-i] [-f SENDER] [-F NAME] [-c FILE] [RECIPIENT]...\n"
    "  reads a message on stdin and submits it to the relay's first server.listen address\n"
    "  -t         also send to the addresses in To, Cc and Bcc (Bcc is always removed)\n"
    "  -i, -oi    a line with a single dot does not end the message\n"
    "  -f, -r S   envelope sender S (default: your user name at server.hostname)\n"
    "  -F NAME    full name for the From: header added when the message has none\n"
    "  -c FILE    the relay's configuration (default /etc/mxrelay/mxrelay.toml)\n"
    "  -odi -odb -odq -oem -oee -oep -oeq -om -v -B TYPE are accepted and ignored\n";

std::string login_name() {
  if (const passwd* entry = ::getpwuid(::getuid())) return entry->pw_name;
  return "uid" + std::to_string(::getuid());
}

std::string unique_token(std::int64_t unix_seconds) {
  std::random_device random;
  std::uniform_int_distribution<std::uint64_t> any;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(any(random)));
  return std::to_string(unix_seconds) + "." + hex;
}

int fail(const SendmailFailure& failure) {
  std::cerr << "mxrelay sendmail: " << failure.message << "\n";
  return failure.exit_status;
}

}  // namespace

int run_sendmail_command(const std::vector<std::string_view>& arguments,
                         std::string_view default_config) {
  auto options = parse_sendmail_options(arguments, default_config);
  if (!options) {
    std::cerr << "mxrelay sendmail: " << options.error() << "\n" << kUsage;
    return EX_USAGE;
  }
  auto config_text = conf::read_text_file(options->config);
  if (!config_text)
    return fail({EX_CONFIG, "cannot read " + options->config + ": " + config_text.error()});
  auto target = submission_target(*config_text, options->config, conf::default_config().server);
  if (!target) return fail({EX_CONFIG, target.error()});

  std::string input(std::istreambuf_iterator<char>(std::cin), {});
  if (std::cin.bad()) return fail({EX_IOERR, "cannot read the message on stdin"});
  auto message = read_submitted_message(input, options->dot_ends_input);
  auto recipients = envelope_recipients(*options, message);
  if (!recipients) return fail(recipients.error());
  message.remove_fields("Bcc");

  Envelope envelope{envelope_sender(options->sender, login_name(), target->hostname),
                    std::move(*recipients)};
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  LocalSubmission submission;
  submission.sender =
      envelope.sender.empty() ? login_name() + "@" + target->hostname : envelope.sender;
  submission.full_name = options->full_name;
  submission.hostname = target->hostname;
  submission.unix_seconds = now;
  submission.unique_token = unique_token(now);
  complete_header(message, submission);

  auto submitted = submit_message(*target, envelope, message.str());
  return submitted ? EX_OK : fail(submitted.error());
}

}  // namespace mxrelay::mta::sendmail
