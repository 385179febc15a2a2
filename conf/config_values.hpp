// conf: readers for the configuration's value kinds (durations, sizes, bounded integers,
// host names, endpoints, networks, resolver servers) on top of TomlSection. Each reader
// stores a valid value into `out` and reports an invalid one, leaving `out` unchanged.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config.hpp"
#include "toml_section.hpp"

namespace mxrelay::conf {

// The longest duration any setting accepts.
inline constexpr std::chrono::seconds kMaxDuration = std::chrono::days(3650);

// `text` in double quotes for messages, with quotes, backslashes and control characters
// escaped so a message always stays on one line.
std::string quoted_value(std::string_view text);

// A duration string, greater than zero and at most kMaxDuration.
void read_duration(const TomlSection& section, std::string_view key, std::chrono::seconds& out);
// A duration as read_duration requires, or zero ("0", "0s") for a feature that is off.
void read_duration_or_zero(const TomlSection& section, std::string_view key,
                           std::chrono::seconds& out);
// A non-empty array of durations, each as read_duration requires.
void read_durations(const TomlSection& section, std::string_view key,
                    std::vector<std::chrono::seconds>& out);
// An integer number of bytes, or a size string ("50MiB"); greater than zero.
void read_byte_size(const TomlSection& section, std::string_view key, std::size_t& out);
// An integer within [min, max].
void read_bounded(const TomlSection& section, std::string_view key, std::int64_t min,
                  std::int64_t max, std::int64_t& out);
// A valid host name, stored in canonical form; "" also when allow_empty.
void read_hostname(const TomlSection& section, std::string_view key, bool allow_empty,
                   std::string& out);
// An array of valid host names (may be empty), canonical.
void read_hostnames(const TomlSection& section, std::string_view key,
                    std::vector<std::string>& out);
// A non-empty array of distinct listen endpoints.
void read_listen_endpoints(const TomlSection& section, std::string_view key,
                           std::vector<ListenEndpoint>& out);
// An array of CIDR networks; empty only when allow_empty.
void read_networks(const TomlSection& section, std::string_view key, bool allow_empty,
                   std::vector<core::Cidr>& out);
// An array of resolver servers ("addr[@port]"), canonical; empty only when allow_empty.
void read_resolver_servers(const TomlSection& section, std::string_view key, bool allow_empty,
                           std::vector<std::string>& out);

// A path to an existing regular file, joined to base_dir when relative; "" gives an empty
// path (the setting is off).
void read_file_path(const TomlSection& section, std::string_view key,
                    const std::filesystem::path& base_dir, std::filesystem::path& out);
// An outbound TLS policy name (delivery.tls, a transport entry's tls): none, may, encrypt,
// verify, dane or dane-only.
void read_tls_policy(const TomlSection& section, std::string_view key, TlsPolicy& out);

// The position in `names` of the string at `key`; any other string is reported as
// `invalid value "x" (use a, b or c)`.
std::optional<std::size_t> read_choice(const TomlSection& section, std::string_view key,
                                       std::span<const std::string_view> names);

// An enumerator named by a string, where names[i] names static_cast<Enum>(i).
template <typename Enum, std::size_t N>
void read_enum(const TomlSection& section, std::string_view key,
               const std::array<std::string_view, N>& names, Enum& out) {
  if (auto index = read_choice(section, key, names)) out = static_cast<Enum>(*index);
}

template <typename Integer>
void read_integer(const TomlSection& section, std::string_view key, Integer min, Integer max,
                  Integer& out) {
  constexpr std::int64_t kLargest = std::numeric_limits<std::int64_t>::max();
  std::int64_t value = static_cast<std::int64_t>(out);
  read_bounded(section, key, static_cast<std::int64_t>(min),
               std::cmp_less(kLargest, max) ? kLargest : static_cast<std::int64_t>(max), value);
  out = static_cast<Integer>(value);
}

}  // namespace mxrelay::conf
