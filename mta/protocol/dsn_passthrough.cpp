// mta/protocol: RFC 3461 parameters for the outbound MAIL FROM and RCPT TO commands.
#include "mta/protocol/dsn_passthrough.hpp"

#include <algorithm>
#include <cctype>

namespace mxrelay::mta {

namespace {

bool valid_address_type(std::string_view type) {
  return !type.empty() &&
         std::ranges::all_of(type, [](unsigned char c) { return std::isalnum(c) || c == '-'; });
}

std::string notify_value(const queue::DsnNotify& notify) {
  if (notify.never) return "NEVER";
  std::string out;
  auto add = [&](bool wanted, const char* keyword) {
    if (!wanted) return;
    if (!out.empty()) out += ',';
    out += keyword;
  };
  add(notify.success, "SUCCESS");
  add(notify.failure, "FAILURE");
  add(notify.delay, "DELAY");
  return out;
}

}  // namespace

std::string mail_dsn_parameters(const MessageDsn& dsn) {
  std::string out;
  if (dsn.ret == queue::DsnRet::full) out += " RET=FULL";
  if (dsn.ret == queue::DsnRet::headers) out += " RET=HDRS";
  if (!dsn.envid.empty()) out += " ENVID=" + encode_xtext(dsn.envid);
  return out;
}

std::string rcpt_dsn_parameters(const queue::RecipientDsn& dsn) {
  std::string out;
  if (dsn.notify) {
    const auto value = notify_value(*dsn.notify);
    if (!value.empty()) out += " NOTIFY=" + value;
  }
  if (dsn.orcpt && valid_address_type(dsn.orcpt->addr_type))
    out += " ORCPT=" + dsn.orcpt->addr_type + ";" + encode_xtext(dsn.orcpt->address);
  return out;
}

}  // namespace mxrelay::mta
