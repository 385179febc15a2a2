// conf: default_config(), the defaults for settings whose default is not a simple
// initializer in config.hpp.
#include "default_config.hpp"

#include <unistd.h>

#include <array>

#include "core/domain_name.hpp"

namespace mxrelay::conf {

namespace {

std::string machine_hostname() {
  std::array<char, 256> buffer{};
  if (gethostname(buffer.data(), buffer.size() - 1) != 0) return {};
  std::string name(buffer.data());
  if (!core::is_valid_hostname(name)) return {};
  return core::canonical_domain(name);
}

}  // namespace

Config default_config() {
  using std::chrono::hours;
  using std::chrono::minutes;
  Config config;
  config.server.listen = {ListenEndpoint{core::IpAddress::v4({127, 0, 0, 1}), 2525}};
  config.server.hostname = machine_hostname();
  config.server.relay_networks = {*core::Cidr::parse("127.0.0.0/8"), *core::Cidr::parse("::1/128")};
  config.queue.retry_intervals = {minutes(5), minutes(10), minutes(30),
                                  hours(1),   hours(2),    hours(4)};
  config.dns.mx_required = {"outlook.com", "hotmail.com", "live.com",
                            "msn.com",     "gmail.com",   "yahoo.com"};
  config.shaping = default_shaping_sites();
  return config;
}

}  // namespace mxrelay::conf
