// mta/doctor: run_doctor_command().
#include "mta/doctor/doctor_command.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/use_future.hpp>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/load_config.hpp"
#include "core/domain_name.hpp"
#include "mta/dkim/dkim_key.hpp"
#include "mta/dkim/dkim_record.hpp"
#include "mta/doctor/doctor_report.hpp"
#include "mta/doctor/reverse_name.hpp"
#include "mta/doctor/sending_path_checks.hpp"
#include "mta/doctor/spf_evaluator.hpp"
#include "mta/io/asio_helpers.hpp"
#include "resolver/unbound_client.hpp"

namespace mxrelay::mta::doctor {

namespace {

namespace asio = boost::asio;
using resolver::DnsAnswer;
using resolver::RrType;

constexpr const char* kUsage = "usage: mxrelay doctor [-c FILE] [--domain DOMAIN]... [--json]\n";

struct Options {
  std::string config;
  std::vector<std::string> domains;
  bool json = false;
};

std::optional<Options> parse(int argc, char** argv, const char* default_config) {
  Options options;
  options.config = default_config;
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if ((arg == "-c" || arg == "--config") && i + 1 < argc)
      options.config = argv[++i];
    else if (arg == "--domain" && i + 1 < argc)
      options.domains.push_back(core::canonical_domain(argv[++i]));
    else if (arg == "--json")
      options.json = true;
    else
      return std::nullopt;
  }
  return options;
}

// The relay's resolver, one query at a time: each lookup runs the io_context to completion.
class BlockingResolver {
 public:
  explicit BlockingResolver(const conf::DnsConfig& config) : dns_(io_.get_executor(), config) {}

  DnsAnswer operator()(const std::string& name, RrType type) {
    auto future = asio::co_spawn(io_, dns_.query(name, type), asio::use_future);
    io_.restart();
    io_.run();
    return future.get();
  }

 private:
  asio::io_context io_{1};
  resolver::UnboundClient dns_;
};

// The address the kernel would send from to the internet: a UDP socket connected to a
// documentation address (nothing is sent), then its local address. nullopt: no route.
std::optional<core::IpAddress> kernel_source(bool v6) {
  asio::io_context io(1);
  asio::ip::udp::socket socket(io);
  const auto target = asio::ip::make_address(v6 ? "2001:db8::1" : "192.0.2.1");
  boost::system::error_code error;
  socket.connect({target, 53}, error);
  if (error) return std::nullopt;
  const auto local = socket.local_endpoint(error);
  if (error) return std::nullopt;
  return from_asio(local.address());
}

struct Source {
  core::IpAddress address;
  std::string origin;
};

std::vector<Source> sources(const conf::DeliveryConfig& delivery) {
  std::vector<Source> out;
  const auto add = [&](bool v6, const std::optional<core::IpAddress>& configured) {
    if (configured) {
      out.push_back({*configured, v6 ? "delivery.source_ipv6" : "delivery.source_ipv4"});
    } else if (auto chosen = kernel_source(v6)) {
      out.push_back({*chosen, "the kernel's choice"});
    }
  };
  if (delivery.source_addresses.empty()) {
    if (delivery.ip_version != conf::IpVersion::ipv6) add(false, delivery.source_ipv4);
    if (delivery.ip_version != conf::IpVersion::ipv4) add(true, delivery.source_ipv6);
    return out;
  }
  // Each of several source addresses is checked; a family without one uses the kernel's.
  for (bool v6 : {false, true}) {
    if (delivery.ip_version == (v6 ? conf::IpVersion::ipv4 : conf::IpVersion::ipv6)) continue;
    bool listed = false;
    for (const auto& address : delivery.source_addresses)
      if (address.is_v6() == v6) {
        out.push_back({address, "delivery.source_addresses"});
        listed = true;
      }
    if (!listed) add(v6, std::nullopt);
  }
  return out;
}

SourceFacts gather_source(BlockingResolver& dns, const Source& source, const std::string& helo) {
  const auto type = source.address.is_v6() ? RrType::aaaa : RrType::a;
  SourceFacts facts{
      source.address, source.origin, dns(reverse_name(source.address), RrType::ptr), {}, helo, {}};
  for (const auto& name : facts.ptr.names) facts.ptr_forward.emplace_back(name, dns(name, type));
  if (!helo.empty()) facts.helo_addresses = dns(helo, type);
  return facts;
}

DkimFacts gather_dkim(BlockingResolver& dns, const conf::DkimEntry& entry) {
  DkimFacts facts;
  facts.domain = entry.domain;
  facts.record_name = dkim::record_name(entry.selector, entry.domain);
  auto key = dkim::DkimKey::from_pem(entry.key_pem);
  if (!key) {
    facts.key_error = entry.key_file.string() + ": " + key.error();
    return facts;
  }
  facts.answer = dns(facts.record_name, RrType::txt);
  facts.verdict = dkim::check_record(facts.answer.texts, *key);
  return facts;
}

std::vector<std::string> sender_domains(const Options& options, const conf::Config& config) {
  std::vector<std::string> domains = options.domains;
  if (domains.empty())
    for (const auto& entry : config.dkim) domains.push_back(entry.domain);
  std::vector<std::string> unique;
  for (const auto& domain : domains)
    if (std::ranges::find(unique, domain) == unique.end()) unique.push_back(domain);
  return unique;
}

std::vector<Check> run_checks(const Options& options, const conf::Config& config) {
  BlockingResolver dns(config.dns);
  std::vector<Check> checks;
  const auto root = dns(".", RrType::dnskey);
  checks.push_back(check_root(config.dns.dnssec, !config.dns.forwarders.empty(), root));
  const std::string& helo = config.outbound_helo_name();
  const auto addresses = sources(config.delivery);
  for (const auto& source : addresses)
    std::ranges::move(check_source(gather_source(dns, source, helo)), std::back_inserter(checks));
  const SpfLookup lookup = [&dns](const std::string& name, RrType type) { return dns(name, type); };
  for (const auto& domain : sender_domains(options, config)) {
    for (const auto& source : addresses)
      checks.push_back(check_spf(
          domain, source.address,
          evaluate_spf(SpfQuery{source.address, domain, "postmaster@" + domain, helo}, lookup)));
    for (const auto& entry : config.dkim)
      if (entry.domain == domain) checks.push_back(check_dkim(gather_dkim(dns, entry)));
    checks.push_back(check_dmarc(domain, dns("_dmarc." + domain, RrType::txt)));
  }
  return checks;
}

}  // namespace

int run_doctor_command(int argc, char** argv, const char* default_config) {
  auto options = parse(argc, argv, default_config);
  if (!options) {
    std::cerr << kUsage;
    return 2;
  }
  auto config = conf::load_config(options->config);
  if (!config) {
    for (const auto& error : config.error()) std::cerr << error.str() << "\n";
    return 2;
  }
  try {
    const auto checks = run_checks(*options, *config);
    std::cout << (options->json ? render_json(checks) : render_text(checks));
    return any_failed(checks) ? 1 : 0;
  } catch (const std::exception& error) {
    std::cerr << "mxrelay: " << error.what() << "\n";
    return 2;
  }
}

}  // namespace mxrelay::mta::doctor
