// conf: parse_port, decimal port numbers.
#include "port.hpp"

#include <charconv>

namespace mxrelay::conf {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  std::uint16_t port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return port;
}

}  // namespace mxrelay::conf
