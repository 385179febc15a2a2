// mta: the mxrelay program: command-line parsing and the serve, check, route, queue, reload,
// tls-report, passwd, dkim, doctor, sendmail and version commands (run through a link named
// sendmail, it is `mxrelay sendmail`). Start-up failures (bad config, port in use) end with a
// message and exit 1.
#include <openssl/crypto.h>
#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/load_config.hpp"
#include "core/control_characters.hpp"
#include "core/domain_name.hpp"
#include "core/log_line.hpp"
#include "mta/check_command.hpp"
#include "mta/control/control_server.hpp"
#include "mta/control/health_report.hpp"
#include "mta/control/queue_report.hpp"
#include "mta/control/site_report.hpp"
#include "mta/control/sts_report.hpp"
#include "mta/dkim/dkim_command.hpp"
#include "mta/doctor/doctor_command.hpp"
#include "mta/inbound/passwd_command.hpp"
#include "mta/relay.hpp"
#include "mta/sendmail/sendmail_command.hpp"
#include "queue/queue_id.hpp"
#include "resolver/candidate_hosts.hpp"
#include "resolver/next_hop_resolver.hpp"
#include "resolver/route_comparison.hpp"
#include "resolver/route_report.hpp"
#include "resolver/transport_decision.hpp"
#include "resolver/unbound_client.hpp"

namespace {

namespace asio = boost::asio;
using namespace mxrelay;

constexpr const char* kDefaultConfig = "/etc/mxrelay/mxrelay.toml";

constexpr const char* kUsage =
    "usage: mxrelay serve [-c FILE]             run the relay in the foreground\n"
    "       mxrelay check [-c FILE] [--user USER]  validate a configuration; as root, also as\n"
    "                                           the relay's user (mxrelay, or USER)\n"
    "       mxrelay route [-c FILE] DOMAIN [--json]  explain how mail to DOMAIN is routed\n"
    "                                           exit 0 deliver, 1 bounce, 75 defer\n"
    "       mxrelay route [-c FILE] DOMAIN --compare [--via ADDR[@PORT] | --via recursion]...\n"
    "                     [--json]              the same through each resolver path, side by\n"
    "                                           side; differences marked ! (must agree: outcome,\n"
    "                                           MX set, address sets, verdict) or ~ (TTL, DNSSEC,\n"
    "                                           size); exit 3 when they disagree, else as route\n"
    "       mxrelay queue [-c FILE] list [--json]     show the queue (like mailq)\n"
    "       mxrelay queue [-c FILE] summary [--json]  queued messages per shaping site and reason\n"
    "       mxrelay queue [-c FILE] show ID [--json]  envelope, state, headers, last transcript\n"
    "       mxrelay queue [-c FILE] flush [ID... | --domain DOMAIN]\n"
    "       mxrelay queue [-c FILE] hold|release|delete|bounce ID... | ALL\n"
    "       mxrelay reload [-c FILE]            re-read the configuration of the running relay\n"
    "       mxrelay tls-report [-c FILE] send-now [--json]  close the TLS-RPT period now and\n"
    "                                           send its reports (RFC 8460)\n"
    "       mxrelay tls-report [-c FILE] show [--json]  the period's counts, reports waiting\n"
    "       mxrelay passwd FILE USER            add or replace USER in an AUTH credentials file\n"
    "                                           (password asked twice, or read from stdin)\n"
    "       mxrelay dkim keygen DOMAIN SELECTOR [--ed25519] [--bits N] [--out FILE]\n"
    "                                           new DKIM key, and the TXT record to publish\n"
    "       mxrelay dkim check [-c FILE] DOMAIN SELECTOR  is the published record the key's?\n"
    "       mxrelay doctor [-c FILE] [--domain DOMAIN]... [--json]\n"
    "                                           self-check of the sending path: PTR and FCrDNS\n"
    "                                           of each source address, HELO name, SPF, DKIM\n"
    "                                           and DMARC of each sender domain, DNSSEC root;\n"
    "                                           exit 0 pass (warnings allowed), 1 a check failed\n"
    "       mxrelay sendmail [-t] [-i] [-f SENDER] [-F NAME] [-c FILE] [RECIPIENT]...\n"
    "                                           submit a message read on stdin to the relay\n"
    "                                           (sendmail(1) for cron; also as a link named\n"
    "                                           sendmail); exit status from sysexits.h\n"
    "       mxrelay version | --version         the program's and its libraries' versions\n"
    "       mxrelay --help                      this text\n";

struct Arguments {
  std::string command;
  std::string config = kDefaultConfig;
  std::vector<std::string> positional;
  std::optional<std::string> domain;
  std::optional<std::string> user;  // check --user
  bool json = false;
  bool compare = false;          // route --compare
  std::vector<std::string> via;  // route --via ADDR[@PORT] (implies --compare)
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
    else if (arg == "--user" && i + 1 < argc && args.command == "check")
      args.user = argv[++i];
    else if (arg == "--domain" && i + 1 < argc)
      args.domain = argv[++i];
    else if (arg == "--compare")
      args.compare = true;
    else if (arg == "--via" && i + 1 < argc)
      args.via.emplace_back(argv[++i]);
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

// A transport entry that stops delivery: say so, after showing where the mail would
// otherwise go.
void apply_transport_action(resolver::RouteExplanation& explanation,
                            const resolver::TransportDecision& decision) {
  if (decision.action == conf::TransportAction::deliver) return;
  auto action = std::string(conf::transport_action_name(decision.action));
  explanation.notes.push_back("transport entry action=" + action + ": " + decision.reason);
  // reject and defer fail the way delivery fails them; hold keeps the mail queued.
  explanation.result = std::unexpected(decision.refusal().value_or(
      core::Failure::temporary(451, {4, 3, 2}, action + ": " + decision.reason)));
}

// `route DOMAIN --compare`: the route through every resolver path, each with its own
// libunbound context, all at once; exit 3 when they disagree (see RouteComparison).
int route_compare(const Arguments& args, const conf::Config& config) {
  auto domain = core::canonical_domain(args.positional[0]);
  auto decision = resolver::decide_transport(config, domain);
  auto paths = resolver::paths_to_compare(config.dns, decision.name, args.via);
  if (!paths) {
    std::cerr << "mxrelay: " << paths.error() << "\n";
    return 2;
  }
  asio::io_context io(1);
  auto policy = resolver::PolicyContext::from_config(config);
  std::vector<std::unique_ptr<resolver::UnboundClient>> clients;
  std::vector<std::unique_ptr<resolver::NextHopResolver>> resolvers;
  std::vector<std::future<resolver::RouteExplanation>> futures;
  for (const auto& path : *paths) {
    clients.push_back(std::make_unique<resolver::UnboundClient>(io.get_executor(), path.dns));
    resolvers.push_back(std::make_unique<resolver::NextHopResolver>(*clients.back(), policy));
    futures.push_back(asio::co_spawn(
        io, resolver::resolve_route(*resolvers.back(), decision, domain), asio::use_future));
  }
  io.run();
  std::vector<resolver::PathRoute> routes;
  for (std::size_t i = 0; i < paths->size(); ++i) {
    auto explanation = futures[i].get();
    apply_transport_action(explanation, decision);
    routes.push_back({(*paths)[i].path, std::move(explanation)});
  }
  auto comparison = resolver::compare_routes(routes);
  std::cout << (args.json ? resolver::render_comparison_json(comparison) + "\n"
                          : resolver::render_comparison_text(comparison));
  return comparison.exit_status();
}

int route(const Arguments& args) {
  if (args.positional.size() != 1) {
    std::cerr << kUsage;
    return 2;
  }
  auto config = load_or_report(args.config);
  if (!config) return 1;
  if (args.compare || !args.via.empty()) return route_compare(args, *config);
  asio::io_context io(1);
  resolver::UnboundClient dns(io.get_executor(), config->dns);
  resolver::NextHopResolver next_hop(dns, resolver::PolicyContext::from_config(*config));
  auto domain = core::canonical_domain(args.positional[0]);
  auto decision = resolver::decide_transport(*config, domain);
  auto future =
      asio::co_spawn(io, resolver::resolve_route(next_hop, decision, domain), asio::use_future);
  io.run();
  auto explanation = future.get();
  apply_transport_action(explanation, decision);
  mta::RouteSts sts{{}, mta::sts_not_applied(config->delivery.mta_sts, decision)};
  if (sts.not_applied.empty() && explanation.result) {
    // Read-only: a policy fetched here is shown, not cached (the relay caches its own).
    mta::sts::PolicySource source(config->queue.dir / "mta-sts", config->delivery.tls_ca_file,
                                  false);
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    auto lookup = asio::co_spawn(io, source.lookup(dns, decision.a_label, now), asio::use_future);
    io.restart();
    io.run();
    sts.lookup = lookup.get();
  }
  const auto hosts = explanation.result ? resolver::candidate_hosts(*explanation.result)
                                        : std::vector<std::string>();
  if (args.json) {
    auto document = boost::json::parse(resolver::render_route_json(explanation)).as_object();
    document["shaping"] = mta::route_site_json(*config, explanation);
    document["mta_sts"] = mta::route_sts_json(sts, hosts, decision.tls);
    std::cout << boost::json::serialize(document) << "\n";
  } else {
    std::cout << resolver::render_route_text(explanation);
    mta::print_route_sts(std::cout, sts, hosts, decision.tls);
    mta::print_skipped_addresses(std::cout, *config, explanation, false);
    mta::print_route_site(std::cout, *config, explanation);
  }
  // 0: deliverable now; 1: the domain bounces; 75 (EX_TEMPFAIL): it is deferred.
  if (explanation.result) return 0;
  return explanation.result.error().is_permanent() ? 1 : 75;
}

// Sends one request to the running relay's control socket; prints errors and returns nothing
// when it failed.
std::optional<boost::json::object> control(const conf::Config& config,
                                           const boost::json::object& request) {
  auto reply = mta::control_request(mta::control_socket_path(config.queue.dir), request);
  if (!reply) {
    std::cerr << "mxrelay: " << reply.error() << "\n";
    return std::nullopt;
  }
  if (auto ok = reply->if_contains("ok"); ok && ok->is_bool() && ok->as_bool()) return *reply;
  auto error = reply->if_contains("error");
  std::cerr << "mxrelay: "
            << (error && error->is_string() ? std::string(error->as_string()) : "failed") << "\n";
  if (auto errors = reply->if_contains("errors"); errors && errors->is_array())
    for (const auto& line : errors->as_array())
      if (line.is_string()) std::cerr << line.as_string() << "\n";
  return std::nullopt;
}

int reload(const Arguments& args) {
  auto config = load_or_report(args.config);
  if (!config) return 1;
  if (!control(*config, {{"command", "reload"}})) return 1;
  std::cout << "configuration reloaded\n";
  return 0;
}

// The queue IDs an action applies to: those given, each checked before the relay is asked, or
// every queued one for ALL (as postsuper takes it).
std::optional<std::vector<std::string>> queue_ids(const Arguments& args,
                                                  const conf::Config& config) {
  std::vector<std::string> ids(args.positional.begin() + 1, args.positional.end());
  if (ids.size() == 1 && ids.front() == "ALL") {
    auto listing = control(config, {{"command", "list"}});
    if (!listing) return std::nullopt;
    ids.clear();
    for (const auto& entry : listing->at("entries").as_array())
      ids.emplace_back(entry.as_object().at("id").as_string());
    return ids;
  }
  for (const auto& id : ids) {
    if (queue::is_queue_id(id)) continue;
    std::cerr << "mxrelay: " << core::escape_control_characters(id) << " is not a queue id\n";
    return std::nullopt;
  }
  return ids;
}

int queue_command(const Arguments& args) {
  static constexpr std::array<std::string_view, 8> kActions{"list", "summary", "show",   "flush",
                                                            "hold", "release", "delete", "bounce"};
  const std::string action = args.positional.empty() ? "" : args.positional[0];
  const std::size_t ids_given = args.positional.empty() ? 0 : args.positional.size() - 1;
  const bool known = std::ranges::find(kActions, action) != kActions.end();
  const bool lists = action == "list" || action == "summary";
  const bool takes_ids = !lists && action != "show" && action != "flush";
  if (!known || (lists && ids_given > 0) || (action == "show" && ids_given != 1) ||
      (takes_ids && ids_given == 0) || (args.domain && action != "flush")) {
    std::cerr << kUsage;
    return 2;
  }
  auto config = load_or_report(args.config);
  if (!config) return 1;
  auto ids = queue_ids(args, *config);
  if (!ids) return 1;
  if (lists || action == "show" || (action == "flush" && ids->empty())) {
    boost::json::object request{{"command", action}};
    if (!ids->empty()) request["id"] = ids->front();
    if (args.domain) request["domain"] = *args.domain;
    auto reply = control(*config, request);
    if (!reply) return 1;
    if (args.json)
      std::cout << boost::json::serialize(*reply) << "\n";
    else if (action == "list")
      std::cout << mta::render_queue_list(reply->at("entries").as_array());
    else if (action == "summary") {
      std::cout << mta::render_queue_summary(reply->at("rows").as_array());
      if (const auto* cluster = reply->if_contains("cluster"); cluster && cluster->is_array())
        std::cout << mta::render_cluster_summary(cluster->as_array());
    } else if (action == "show")
      std::cout << mta::render_queue_entry(reply->at("entry").as_object());
    else
      std::cout << "flushed " << reply->at("count").as_int64() << " message(s)\n";
    return 0;
  }
  // One request per ID; a failure is reported for its ID and the others still go.
  std::size_t done = 0;
  for (const auto& id : *ids)
    if (control(*config, {{"command", action}, {"id", id}})) ++done;
  if (args.json)
    std::cout << boost::json::serialize(boost::json::object{
                     {"ok", done == ids->size()}, {"count", done}, {"failed", ids->size() - done}})
              << "\n";
  else
    std::cout << action << ": " << done << " of " << ids->size() << " message(s)\n";
  return done == ids->size() ? 0 : 1;
}

// `tls-report send-now`: one line per rua tried, "DOMAIN RUA RESULT [DETAIL]"; exit 1 when
// one failed.
int tls_report_command(const Arguments& args) {
  const std::string action = args.positional.size() == 1 ? args.positional[0] : "";
  if (action != "send-now" && action != "show") {
    std::cerr << kUsage;
    return 2;
  }
  auto config = load_or_report(args.config);
  if (!config) return 1;
  auto reply =
      control(*config, {{"command", action == "show" ? "tls_report_show" : "tls_report_send_now"}});
  if (!reply) return 1;
  if (args.json || action == "show") {
    std::cout << boost::json::serialize(*reply) << "\n";
    return 0;
  }
  bool failed = false;
  const auto& reports = reply->at("reports").as_array();
  for (const auto& item : reports) {
    const auto& entry = item.as_object();
    const auto result = std::string(entry.at("result").as_string());
    failed = failed || result == "failed";
    std::cout << core::escape_control_characters(std::string(entry.at("domain").as_string())) << " "
              << core::escape_control_characters(std::string(entry.at("rua").as_string())) << " "
              << result;
    if (const auto detail = std::string(entry.at("detail").as_string()); !detail.empty())
      std::cout << " (" << core::escape_control_characters(detail) << ")";
    std::cout << "\n";
  }
  if (reports.empty()) std::cout << "no TLS report to send\n";
  return failed ? 1 : 0;
}

int serve(const Arguments& args) {
  auto config = load_or_report(args.config);
  if (!config) return 1;
  mta::Relay relay(args.config, std::move(*config));
  relay.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  if (argc >= 1 && std::filesystem::path(argv[0]).filename() == "sendmail")
    return mta::sendmail::run_sendmail_command({argv + 1, argv + argc}, kDefaultConfig);
  if (argc >= 2 && std::string_view(argv[1]) == "sendmail")
    return mta::sendmail::run_sendmail_command({argv + 2, argv + argc}, kDefaultConfig);
  if (argc >= 2 && std::string_view(argv[1]) == "passwd")
    return mta::run_passwd_command(argc, argv);
  if (argc >= 2 && std::string_view(argv[1]) == "dkim")
    return mta::dkim::run_dkim_command(argc, argv, kDefaultConfig);
  if (argc >= 2 && std::string_view(argv[1]) == "doctor")
    return mta::doctor::run_doctor_command(argc, argv, kDefaultConfig);
  if (argc == 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h" ||
                    std::string_view(argv[1]) == "help")) {
    std::cout << kUsage;
    return 0;
  }
  auto args = parse_arguments(argc, argv);
  if (!args) {
    std::cerr << kUsage;
    return 2;
  }
  try {
    if (args->command == "serve") return serve(*args);
    if (args->command == "check") return mta::run_check_command(args->config, args->user);
    if (args->command == "route") return route(*args);
    if (args->command == "queue") return queue_command(*args);
    if (args->command == "reload") return reload(*args);
    if (args->command == "tls-report") return tls_report_command(*args);
    if (args->command == "version" || args->command == "--version") {
      std::cout << "mxrelay " << MXRELAY_VERSION << "\n"
                << "libunbound " << resolver::libunbound_version() << "\n"
                << "OpenSSL " << OpenSSL_version(OPENSSL_VERSION_STRING) << "\n";
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "mxrelay: " << e.what() << "\n";
    return 1;
  }
  std::cerr << kUsage;
  return 2;
}
