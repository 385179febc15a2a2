// conf: read_source_addresses (delivery.source_addresses, source_ipv4, source_ipv6).
#include "source_addresses.hpp"

#include <algorithm>

#include "config_values.hpp"

namespace mxrelay::conf {

namespace {

// The most source addresses one relay may send from (each is a metrics label value).
constexpr std::size_t kMostSourceAddresses = 64;

// delivery.source_ipv4 / source_ipv6: a literal address of the key's family; "" leaves it
// unset (the kernel chooses).
void read_family_source(const TomlSection& delivery, std::string_view key, bool v6,
                        std::optional<core::IpAddress>& out) {
  auto item = delivery.string(key);
  if (!item || item->value.empty()) return;
  auto address = core::IpAddress::parse(item->value);
  if (address && address->is_v6() == v6) {
    out = *address;
    return;
  }
  delivery.report(item->node->source(), key,
                  "invalid " + std::string(v6 ? "IPv6" : "IPv4") + " address " +
                      quoted_value(item->value) + " (or \"\" to let the kernel choose)");
}

std::string position_of(const toml::node& node) {
  const auto& begin = node.source().begin;
  return std::to_string(begin.line) + ":" + std::to_string(begin.column);
}

}  // namespace

void read_source_addresses(const TomlSection& delivery, DeliveryConfig& out) {
  read_family_source(delivery, "source_ipv4", false, out.source_ipv4);
  read_family_source(delivery, "source_ipv6", true, out.source_ipv6);
  auto items = delivery.strings("source_addresses");
  if (!items) return;
  out.source_addresses.clear();
  for (const auto& item : *items) {
    auto address = core::IpAddress::parse(item.value);
    if (!address) {
      delivery.report(item.node->source(), "source_addresses",
                      "invalid address " + quoted_value(item.value) +
                          " (a local IPv4 or IPv6 address, without a prefix length)");
      continue;
    }
    if (std::ranges::find(out.source_addresses, *address) != out.source_addresses.end()) {
      delivery.report(item.node->source(), "source_addresses",
                      quoted_value(item.value) + " is listed twice");
      continue;
    }
    if (out.source_addresses.size() == kMostSourceAddresses) {
      delivery.report(item.node->source(), "source_addresses",
                      "more than " + std::to_string(kMostSourceAddresses) + " addresses");
      break;
    }
    out.source_addresses.push_back(*address);
  }
  if (out.source_addresses.empty()) return;
  const auto* list = delivery.find("source_addresses");
  for (std::string_view key : {"source_ipv4", "source_ipv6"}) {
    auto item = delivery.string(key);
    if (item && !item->value.empty())
      delivery.report(item->node->source(), key,
                      "set together with delivery.source_addresses (at " + position_of(*list) +
                          "); list every source address in source_addresses instead");
  }
  out.source_ipv4.reset();
  out.source_ipv6.reset();
}

std::vector<core::IpAddress> configured_sources(const DeliveryConfig& config) {
  if (!config.source_addresses.empty()) return config.source_addresses;
  std::vector<core::IpAddress> out;
  if (config.source_ipv4) out.push_back(*config.source_ipv4);
  if (config.source_ipv6) out.push_back(*config.source_ipv6);
  return out;
}

}  // namespace mxrelay::conf
