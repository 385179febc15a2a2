// conf: parse_duration, the "<number><unit>" duration syntax of the configuration.
#include "duration.hpp"

#include <charconv>
#include <cstdint>
#include <limits>

namespace mxrelay::conf {

namespace {

std::optional<std::int64_t> unit_seconds(char unit) {
  switch (unit) {
    case 's':
      return 1;
    case 'm':
      return 60;
    case 'h':
      return 3600;
    case 'd':
      return 86400;
    default:
      return std::nullopt;
  }
}

std::optional<std::int64_t> parse_digits(std::string_view digits) {
  if (digits.empty() || digits.front() < '0' || digits.front() > '9') return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text == "0") return std::chrono::seconds{0};
  if (text.empty()) return std::nullopt;
  auto unit = unit_seconds(text.back());
  auto count = parse_digits(text.substr(0, text.size() - 1));
  if (!unit || !count) return std::nullopt;
  if (*count > std::numeric_limits<std::int64_t>::max() / *unit) return std::nullopt;
  return std::chrono::seconds{*count * *unit};
}

std::optional<std::chrono::milliseconds> parse_duration_ms(std::string_view text) {
  if (!text.ends_with("ms")) {
    auto seconds = parse_duration(text);
    if (!seconds || *seconds > std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::milliseconds::max()))
      return std::nullopt;
    return std::chrono::milliseconds(*seconds);
  }
  auto count = parse_digits(text.substr(0, text.size() - 2));
  if (!count) return std::nullopt;
  return std::chrono::milliseconds{*count};
}

}  // namespace mxrelay::conf
