// mta/sendmail: envelope_sender() and envelope_recipients().
#include "mta/sendmail/envelope.hpp"

#include <sysexits.h>

#include <algorithm>

#include "mta/protocol/mailbox_path.hpp"
#include "mta/sendmail/address_list.hpp"

namespace mxrelay::mta::sendmail {

namespace {

std::expected<void, SendmailFailure> check_recipient(const std::string& address) {
  if (address.find('@') == std::string::npos)
    return std::unexpected(SendmailFailure{
        EX_NOUSER, "recipient " + address +
                       " has no domain: mxrelay delivers no local mail, give a full address"});
  auto path = "<" + address + ">";
  auto parsed = parse_path(path);
  if (!parsed || parsed->length != path.size())
    return std::unexpected(
        SendmailFailure{EX_DATAERR, "recipient " + address + " is not a valid mail address"});
  return {};
}

}  // namespace

std::string envelope_sender(const std::optional<std::string>& given, const std::string& user,
                            const std::string& hostname) {
  if (!given) return user + "@" + hostname;
  if (given->empty() || *given == "<>") return "";
  std::string sender = *given;
  if (sender.size() >= 2 && sender.front() == '<' && sender.back() == '>')
    sender = sender.substr(1, sender.size() - 2);
  return sender.find('@') == std::string::npos ? sender + "@" + hostname : sender;
}

std::expected<std::vector<std::string>, SendmailFailure> envelope_recipients(
    const SendmailOptions& options, const SubmittedMessage& message) {
  std::vector<std::string> named;
  for (const auto& argument : options.recipients) {
    auto addresses = parse_address_list(argument);
    if (!addresses)
      return std::unexpected(
          SendmailFailure{EX_DATAERR, "recipient " + argument + ": " + addresses.error()});
    named.insert(named.end(), addresses->begin(), addresses->end());
  }
  if (options.recipients_from_headers) {
    auto from_header = message.header_recipients();
    if (!from_header) return std::unexpected(SendmailFailure{EX_DATAERR, from_header.error()});
    named.insert(named.end(), from_header->begin(), from_header->end());
  }
  std::vector<std::string> recipients;
  for (const auto& address : named) {
    if (auto checked = check_recipient(address); !checked) return std::unexpected(checked.error());
    if (std::ranges::find(recipients, address) == recipients.end()) recipients.push_back(address);
  }
  if (recipients.empty())
    return std::unexpected(SendmailFailure{options.recipients_from_headers ? EX_DATAERR : EX_USAGE,
                                           options.recipients_from_headers
                                               ? "no recipient in the arguments or in To, Cc or Bcc"
                                               : "no recipient given (name one, or use -t)"});
  return recipients;
}

}  // namespace mxrelay::mta::sendmail
