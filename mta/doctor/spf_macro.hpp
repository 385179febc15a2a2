// mta/doctor: SPF macro expansion (RFC 7208 7): %{s} %{l} %{o} %{d} %{i} %{h} %{v} with the
// digit, r and delimiter transformers, %% %_ %-. %{p} and the exp-only letters are refused
// with a message (a permerror). Pure.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "core/ip_address.hpp"

namespace mxrelay::mta::doctor {

struct SpfMacroContext {
  std::string sender;  // "local@domain" (MAIL FROM, or postmaster@HELO)
  std::string domain;  // the domain being checked (changes through include and redirect)
  core::IpAddress ip;
  std::string helo;
};

// The expanded domain-spec, shortened from the left to at most 253 octets (7.3).
std::expected<std::string, std::string> expand_spf_macros(std::string_view spec,
                                                          const SpfMacroContext& context);

}  // namespace mxrelay::mta::doctor
