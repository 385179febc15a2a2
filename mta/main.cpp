// mta: the mxrelay program: command-line parsing and the serve, check, route and version
// commands. Start-up failures (bad config, port in use) end with a message and exit 1.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/load_config.hpp"
#include "core/domain_name.hpp"
#include "core/log_line.hpp"
#include "delivery_engine.hpp"
#include "metrics.hpp"
#include "queue/spool.hpp"
#include "resolver/next_hop_resolver.hpp"
#include "resolver/route_report.hpp"
#include "resolver/unbound_client.hpp"
#include "smtp_listener.hpp"

namespace {

namespace asio = boost::asio;
using namespace mxrelay;

constexpr const char* kDefaultConfig = "/etc/mxrelay/mxrelay.toml";

constexpr const char* kUsage =
    "usage: mxrelay serve [-c FILE]             run the relay in the foreground\n"
    "       mxrelay check [-c FILE]             validate a configuration\n"
    "       mxrelay route [-c FILE] DOMAIN [--json]  explain how mail to DOMAIN is routed\n"
    "       mxrelay version\n";

struct Arguments {
  std::string command;
  std::string config = kDefaultConfig;
  std::vector<std::string> positional;
  bool json = false;
};

std::optional<Arguments> parse_arguments(int argc, char** argv) {
  if (argc < 2) return std::nullopt;
  Arguments args;
  args.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    if ((arg == "-c" || arg == "--config") && i + 1 < argc)
      args.config = argv[++i];
    else if (arg == "--json")
      args.json = true;
    else if (arg.starts_with("-"))
      return std::nullopt;
    else
      args.positional.emplace_back(arg);
  }
  return args;
}

std::optional<conf::Config> load_or_report(const std::string& file) {
  auto config = conf::load_config(file);
  if (config) return std::move(*config);
  for (const auto& error : config.error()) std::cerr << error.str() << "\n";
  return std::nullopt;
}

int check(const Arguments& args) {
  auto config = load_or_report(args.config);
  if (!config) return 1;
  std::cout << args.config << ": configuration is valid\n";
  return 0;
}

int route(const Arguments& args) {
  if (args.positional.size() != 1) {
    std::cerr << kUsage;
    return 2;
  }
  auto config = load_or_report(args.config);
  if (!config) return 1;
  asio::io_context io(1);
  resolver::UnboundClient dns(io.get_executor(), config->dns);
  resolver::NextHopResolver next_hop(dns, resolver::PolicyContext::from_config(*config));
  auto domain = core::canonical_domain(args.positional[0]);
  auto future = asio::co_spawn(io, next_hop.resolve_mx(domain, config->delivery.port),
                               asio::use_future);
  io.run();
  auto explanation = future.get();
  std::cout << (args.json ? resolver::render_route_json(explanation)
                          : resolver::render_route_text(explanation));
  if (args.json) std::cout << "\n";
  // 0: deliverable now; 1: the domain bounces; 75 (EX_TEMPFAIL): it is deferred.
  if (explanation.result) return 0;
  return explanation.result.error().is_permanent() ? 1 : 75;
}

int serve(const Arguments& args) {
  auto loaded = load_or_report(args.config);
  if (!loaded) return 1;
  auto config = std::make_shared<const conf::Config>(std::move(*loaded));

  asio::io_context io(1);
  asio::thread_pool disk(2);
  mta::Metrics metrics;
  if (!config->metrics.listen.empty()) metrics.expose(config->metrics.listen);
  queue::Spool spool(config->queue.dir);
  resolver::UnboundClient dns(io.get_executor(), config->dns);
  resolver::NextHopResolver next_hop(dns, resolver::PolicyContext::from_config(*config), &metrics);
  mta::DeliveryEngine engine(io, config, spool, next_hop, metrics, disk);
  engine.recover();
  mta::SmtpListener listener(io, config, spool, disk, metrics,
                             [&](queue::Envelope envelope) { engine.enqueue(std::move(envelope)); });
  listener.start();
  engine.start();

  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& error, int signal) {
    if (error) return;
    core::LogLine("stopping").kv("signal", signal).emit();
    listener.stop();
    engine.stop();
    io.stop();
  });
  core::LogLine("started")
      .kv("version", MXRELAY_VERSION)
      .kv("config", args.config)
      .kv("spool", config->queue.dir.string())
      .emit();
  io.run();
  disk.join();
  core::LogLine("stopped").emit();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  auto args = parse_arguments(argc, argv);
  if (!args) {
    std::cerr << kUsage;
    return 2;
  }
  try {
    if (args->command == "serve") return serve(*args);
    if (args->command == "check") return check(*args);
    if (args->command == "route") return route(*args);
    if (args->command == "version") {
      std::cout << "mxrelay " << MXRELAY_VERSION << "\n";
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "mxrelay: " << e.what() << "\n";
    return 1;
  }
  std::cerr << kUsage;
  return 2;
}
