// conf: parse_byte_size, the "<number><unit>" size syntax of the configuration.
#include "byte_size.hpp"

#include <array>
#include <charconv>
#include <limits>
#include <utility>

namespace mxrelay::conf {

namespace {

constexpr std::uint64_t kKilo = 1000;
constexpr std::uint64_t kKibi = 1024;

// Longest suffixes first, so "MiB" is not mistaken for "B".
constexpr std::array<std::pair<std::string_view, std::uint64_t>, 7> kUnits{{
    {"KiB", kKibi},
    {"MiB", kKibi* kKibi},
    {"GiB", kKibi* kKibi* kKibi},
    {"KB", kKilo},
    {"MB", kKilo* kKilo},
    {"GB", kKilo* kKilo* kKilo},
    {"B", 1},
}};

}  // namespace

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
  for (const auto& [suffix, multiplier] : kUnits) {
    if (!text.ends_with(suffix)) continue;
    auto digits = text.substr(0, text.size() - suffix.size());
    if (digits.empty() || digits.front() < '0' || digits.front() > '9') return std::nullopt;
    std::uint64_t count = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
    if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    if (count > std::numeric_limits<std::uint64_t>::max() / multiplier) return std::nullopt;
    return count * multiplier;
  }
  return std::nullopt;
}

}  // namespace mxrelay::conf
