// mta/protocol: reading "TLS-Required: No" (see tls_required_header.hpp).
#include "mta/protocol/tls_required_header.hpp"

#include <algorithm>

#include "core/ascii_case.hpp"
#include "mta/protocol/header_fields.hpp"

namespace mxrelay::mta {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

bool tls_required_no(std::string_view message) {
  const auto parts = split_message(message);
  return std::ranges::any_of(parts.fields, [](const HeaderField& field) {
    if (!core::equals_ignoring_case(trim(field.name), "TLS-Required")) return false;
    const auto colon = field.raw.find(':');
    return colon != std::string_view::npos &&
           core::equals_ignoring_case(trim(field.raw.substr(colon + 1)), "No");
  });
}

}  // namespace mxrelay::mta
