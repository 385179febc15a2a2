// mta/sendmail: parse_sendmail_options().
#include "mta/sendmail/sendmail_options.hpp"

#include <algorithm>
#include <array>

namespace mxrelay::mta::sendmail {

namespace {

// Passed by cron (-oem, -B8BITMIME), mailx, logwatch and scripts: delivery and error modes
// that mean nothing for a synchronous submission, and verbose mode.
constexpr std::array<std::string_view, 9> kIgnoredFlags{"-odi", "-odb", "-odq", "-oem", "-oee",
                                                        "-oep", "-oeq", "-om",  "-v"};

}  // namespace

std::expected<SendmailOptions, std::string> parse_sendmail_options(
    const std::vector<std::string_view>& arguments, std::string_view default_config) {
  SendmailOptions options;
  options.config = default_config;
  std::size_t i = 0;
  // The value of an option given as "-fVALUE" or as "-f VALUE".
  auto value_of = [&](std::string_view flag) -> std::optional<std::string> {
    std::string_view arg = arguments[i];
    if (arg.size() > flag.size()) return std::string(arg.substr(flag.size()));
    if (i + 1 >= arguments.size()) return std::nullopt;
    return std::string(arguments[++i]);
  };
  for (; i < arguments.size(); ++i) {
    std::string_view arg = arguments[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (!arg.starts_with("-") || arg == "-") break;
    if (arg == "-t") {
      options.recipients_from_headers = true;
    } else if (arg == "-i" || arg == "-oi") {
      options.dot_ends_input = false;
    } else if (std::ranges::find(kIgnoredFlags, arg) != kIgnoredFlags.end()) {
      continue;
    } else if (arg.starts_with("-f") || arg.starts_with("-r") || arg.starts_with("-F") ||
               arg.starts_with("-c") || arg.starts_with("-B")) {
      auto flag = arg.substr(0, 2);
      auto value = value_of(flag);
      if (!value) return std::unexpected("option " + std::string(flag) + " needs a value");
      if (flag == "-F")
        options.full_name = std::move(*value);
      else if (flag == "-c")
        options.config = std::move(*value);
      else if (flag != "-B")  // -B 7BIT|8BITMIME: the body type is seen in the message itself
        options.sender = std::move(*value);
    } else {
      return std::unexpected("unknown option " + std::string(arg));
    }
  }
  for (; i < arguments.size(); ++i) options.recipients.emplace_back(arguments[i]);
  return options;
}

}  // namespace mxrelay::mta::sendmail
