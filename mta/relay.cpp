// mta: construction, signal handling and configuration reload of a running relay.
#include "mta/relay.hpp"

#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <csignal>
#include <functional>
#include <future>
#include <string>

#include "conf/load_config.hpp"
#include "core/log_line.hpp"
#include "resolver/unbound_client.hpp"

namespace mxrelay::mta {

namespace asio = boost::asio;

namespace {
// During a shutdown, how often the sessions and attempts still in flight are counted.
constexpr auto kShutdownPoll = std::chrono::milliseconds(50);
// GET /healthz: the event loop must answer within this; a spool probe is reused this long.
constexpr auto kHealthAnswerTime = std::chrono::seconds(2);
constexpr auto kSpoolProbeReuse = std::chrono::seconds(1);
// Sessions cut off at the end of the grace get this long to close their sockets.
constexpr auto kAbortedSessionsClose = std::chrono::seconds(3);

// Returns once busy() is false or the deadline has passed.
asio::awaitable<void> wait_while(std::function<bool()> busy,
                                 std::chrono::steady_clock::time_point deadline) {
  asio::steady_timer poll(co_await asio::this_coro::executor);
  while (busy() && std::chrono::steady_clock::now() < deadline) {
    auto left = deadline - std::chrono::steady_clock::now();
    poll.expires_after(std::min<std::chrono::steady_clock::duration>(kShutdownPoll, left));
    co_await poll.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

struct ResolverStack {
  ResolverStack(asio::any_io_executor executor, const conf::Config& config,
                resolver::ResolverObserver* observer)
      : dns(std::move(executor), config.dns),
        next_hop(dns, resolver::PolicyContext::from_config(config), observer) {}
  resolver::UnboundClient dns;
  resolver::NextHopResolver next_hop;
};

std::vector<std::string> listen_addresses(const conf::Config& config) {
  std::vector<std::string> out;
  for (const auto& endpoint : config.server.listen) out.push_back(endpoint.str());
  return out;
}

// The keys that a reload cannot apply (bound sockets, the open spool), where they changed.
std::vector<const char*> restart_only_changes(const conf::Config& running,
                                              const conf::Config& loaded) {
  std::vector<const char*> out;
  if (listen_addresses(running) != listen_addresses(loaded)) out.push_back("server.listen");
  if (running.queue.dir != loaded.queue.dir) out.push_back("queue.dir");
  if (running.metrics.listen != loaded.metrics.listen) out.push_back("metrics.listen");
  if (running.cluster != loaded.cluster) out.push_back("cluster");
  return out;
}

// The relay's name in its cluster: unique while it runs (its leases expire with it).
std::string cluster_node(const conf::Config& config) {
  return config.server.hostname + ":" + std::to_string(getpid());
}

// The keys of the transport entries that authenticate (the auth failure metric's labels).
std::vector<std::string> auth_transports(const conf::Config& config) {
  std::vector<std::string> keys;
  for (const auto& entry : config.transport.entries())
    if (!entry.auth.empty()) keys.push_back(entry.key);
  return keys;
}

}  // namespace

std::shared_ptr<resolver::NextHopResolver> make_next_hop_resolver(
    asio::any_io_executor executor, const conf::Config& config,
    resolver::ResolverObserver* observer) {
  auto stack = std::make_shared<ResolverStack>(std::move(executor), config, observer);
  return std::shared_ptr<resolver::NextHopResolver>(stack, &stack->next_hop);
}

Relay::Relay(std::filesystem::path config_file, conf::Config config)
    : config_file_(std::move(config_file)),
      config_(std::make_shared<const conf::Config>(std::move(config))),
      spool_(config_->queue.dir, &metrics_),
      queue_runner_(io_, config_, spool_,
                    make_next_hop_resolver(io_.get_executor(), *config_, &metrics_), metrics_,
                    disk_),
      tls_report_(io_, config_, spool_, disk_, metrics_,
                  [this](queue::Envelope envelope, std::uint64_t size) {
                    queue_runner_.enqueue(std::move(envelope), size);
                  }),
      listener_(io_, config_, spool_, disk_, metrics_,
                [this](queue::Envelope envelope, std::uint64_t size) {
                  queue_runner_.enqueue(std::move(envelope), size);
                }),
      control_(io_, queue_runner_, tls_report_, control_socket_path(config_->queue.dir),
               [this] { return reload(); }),
      signals_(io_, SIGTERM, SIGINT, SIGHUP),
      health_([this] { return probe_health(); }) {
  core::set_log_format(config_->log.format);
  metrics_.declare_auth_transports(auth_transports(*config_));
  if (!config_->metrics.listen.empty()) metrics_.expose(config_->metrics.listen);
  if (config_->cluster.enabled()) {
    cluster_ = ClusterLimits::create(io_.get_executor(),
                                     ClusterOptions{config_->cluster, cluster_node(*config_)},
                                     [this](bool up) { metrics_.set_cluster_redis_up(up); });
    queue_runner_.set_cluster(cluster_);
    cluster_->start();
  }
  queue_runner_.set_tls_observer(
      [this](const tlsrpt::Observation& observation) { tls_report_.record(observation); });
  tls_report_.start();
  queue_runner_.recover();
  control_.start();
  listener_.start();
  queue_runner_.start();
}

void Relay::wait_for_signals() {
  signals_.async_wait([this](const boost::system::error_code& error, int signal) {
    if (error) return;
    if (signal == SIGHUP) {
      reload();
      wait_for_signals();
      return;
    }
    asio::co_spawn(io_, shut_down(signal), asio::detached);
  });
}

asio::awaitable<void> Relay::shut_down(int signal) {
  using Clock = std::chrono::steady_clock;
  const auto grace = config_->server.shutdown_grace;
  core::LogLine("stopping", core::Severity::notice)
      .kv("signal", signal)
      .kv("grace", grace.count())
      .emit();
  listener_.stop();
  control_.stop();
  queue_runner_.stop();
  co_await wait_while(
      [this] {
        return listener_.sessions_in_flight() > 0 || queue_runner_.attempts_in_flight() > 0;
      },
      Clock::now() + grace);
  const auto sessions_aborted = listener_.abort_sessions();
  const auto attempts_abandoned = queue_runner_.attempts_in_flight();
  co_await wait_while([this] { return listener_.sessions_in_flight() > 0; },
                      Clock::now() + kAbortedSessionsClose);
  core::LogLine("stopped", core::Severity::notice)
      .kv("sessions_aborted", static_cast<long long>(sessions_aborted))
      .kv("attempts_abandoned", static_cast<long long>(attempts_abandoned))
      .emit();
  tls_report_.stop();
  if (cluster_) cluster_->stop();
  io_.stop();
}

HealthVerdict Relay::probe_health() {
  HealthInputs inputs;
  auto answer = std::make_shared<std::promise<ListenerHealth>>();
  auto listener = answer->get_future();
  asio::post(io_, [this, answer] { answer->set_value(listener_.health()); });
  if (listener.wait_for(kHealthAnswerTime) == std::future_status::ready)
    inputs.listener = listener.get();
  const auto now = std::chrono::steady_clock::now();
  if (now - spool_probed_at_ >= kSpoolProbeReuse) {
    spool_probe_ = spool_.probe_writable();
    spool_probed_at_ = now;
  }
  inputs.spool = spool_probe_;
  return judge_health(inputs);
}

void Relay::run() {
  core::LogLine("started", core::Severity::notice)
      .kv("version", MXRELAY_VERSION)
      .kv("config", config_file_.string())
      .kv("spool", config_->queue.dir.string())
      .emit();
  wait_for_signals();
  io_.run();
  disk_.join();
}

std::expected<void, std::vector<std::string>> Relay::reload() {
  auto loaded = conf::load_config(config_file_);
  if (!loaded) {
    std::vector<std::string> errors;
    for (const auto& error : loaded.error()) {
      errors.push_back(error.str());
      core::LogLine("reload_error", core::Severity::error)
          .kv("config", config_file_.string())
          .kv("error", error.str())
          .emit();
    }
    metrics_.config_reloaded(false);
    core::LogLine("reload", core::Severity::error)
        .kv("result", "rejected")
        .kv("errors", static_cast<long long>(errors.size()))
        .emit();
    return std::unexpected(std::move(errors));
  }
  auto config = std::make_shared<const conf::Config>(std::move(*loaded));
  std::shared_ptr<resolver::NextHopResolver> next_hop;
  ListenerSecrets secrets;
  try {
    secrets = load_listener_secrets(*config);
    next_hop = make_next_hop_resolver(io_.get_executor(), *config, &metrics_);
  } catch (const std::exception& e) {
    metrics_.config_reloaded(false);
    core::LogLine("reload", core::Severity::error)
        .kv("result", "rejected")
        .kv("error", e.what())
        .emit();
    return std::unexpected(std::vector<std::string>{e.what()});
  }
  for (const auto* key : restart_only_changes(*config_, *config))
    core::LogLine("reload_warning", core::Severity::warning)
        .kv("key", key)
        .kv("detail", std::string(key) + " changed; the change takes effect only after a restart")
        .emit();
  config_ = config;
  core::set_log_format(config->log.format);
  queue_runner_.reconfigure(config, std::move(next_hop));
  tls_report_.reconfigure(config);
  listener_.reconfigure(config, std::move(secrets));
  metrics_.declare_auth_transports(auth_transports(*config));
  metrics_.config_reloaded(true);
  core::LogLine("reload", core::Severity::notice)
      .kv("result", "ok")
      .kv("config", config_file_.string())
      .emit();
  return {};
}

}  // namespace mxrelay::mta
