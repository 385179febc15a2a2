// conf: parse_mailbox_address().
#include "mailbox_address.hpp"

#include <algorithm>

#include "core/domain_name.hpp"
#include "idna.hpp"

namespace mxrelay::conf {

namespace {

constexpr std::size_t kMaxLocalPart = 64;
constexpr std::size_t kMaxAddress = 254;

bool is_atext(char c) {
  constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         kSpecials.find(c) != std::string_view::npos;
}

bool is_dot_atom(std::string_view text) {
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  if (text.find("..") != std::string_view::npos) return false;
  return std::ranges::all_of(text, [](char c) { return c == '.' || is_atext(c); });
}

}  // namespace

std::optional<std::string> parse_mailbox_address(std::string_view text) {
  auto at = text.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  auto local = text.substr(0, at);
  if (local.size() > kMaxLocalPart || !is_dot_atom(local)) return std::nullopt;
  auto domain = to_a_label_domain(text.substr(at + 1));
  if (!domain || !core::is_valid_hostname(*domain)) return std::nullopt;
  std::string address = std::string(local) + "@" + *domain;
  if (address.size() > kMaxAddress) return std::nullopt;
  return address;
}

}  // namespace mxrelay::conf
