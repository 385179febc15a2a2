// resolver: UnboundClient — ub_ctx set-up, Asio-driven asynchronous queries with a timeout,
// and the copy of ub_result into a RawAnswer (answer_decoding.hpp decides what it means).
#include "unbound_client.hpp"

#include <unbound.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "answer_decoding.hpp"
#include "core/domain_name.hpp"
#include "rdata.hpp"

namespace mxrelay::resolver {

namespace asio = boost::asio;

namespace {

constexpr int kClassIn = 1;

void check(int rc, const std::string& what) {
  if (rc != 0) throw std::runtime_error("libunbound: " + what + ": " + ub_strerror(rc));
}

// Fills answer (qname, qtype, resolver_path already set) and, for TLSA, tlsa from libunbound's
// result.
void fill_answer(DnsAnswer& answer, std::vector<TlsaRecord>& tlsa, int err,
                 const ub_result* result) {
  if (err != 0 || result == nullptr) {
    answer.outcome = DnsOutcome::error;
    answer.error_text = ub_strerror(err);
    return;
  }
  RawAnswer raw{.rcode = result->rcode,
                .nxdomain = result->nxdomain != 0,
                .havedata = result->havedata != 0,
                .secure = result->secure != 0,
                .bogus = result->bogus != 0,
                .why_bogus = result->why_bogus != nullptr ? result->why_bogus : "",
                .canonname = result->canonname != nullptr
                                 ? std::optional<std::string>(result->canonname)
                                 : std::nullopt,
                .ttl = result->ttl,
                .answer_len = result->answer_len,
                .records = {}};
  for (int i = 0; result->data[i] != nullptr; ++i)
    raw.records.emplace_back(reinterpret_cast<const std::uint8_t*>(result->data[i]),
                             static_cast<std::size_t>(result->len[i]));
  decode_answer(raw, answer, tlsa);
}

}  // namespace

std::string resolver_path_for(const conf::DnsConfig& config, std::string_view name) {
  auto canonical = core::canonical_domain(name);
  const conf::DnsStub* best = nullptr;
  for (const auto& stub : config.stubs) {
    auto zone = core::canonical_domain(stub.zone);
    bool inside = canonical == zone || canonical.ends_with("." + zone) || zone.empty();
    if (inside && (best == nullptr || zone.size() > core::canonical_domain(best->zone).size()))
      best = &stub;
  }
  auto join = [](const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
  };
  if (best != nullptr)
    return "stub " + core::canonical_domain(best->zone) + " (" + join(best->servers) + ")";
  if (!config.forwarders.empty()) return "forwarder " + join(config.forwarders);
  return "recursion";
}

// Shared by the client and every query and pump coroutine in flight, so the ub_ctx outlives
// whatever still refers to it.
class UnboundClient::Context : public std::enable_shared_from_this<Context> {
 public:
  Context(asio::any_io_executor executor, const conf::DnsConfig& config)
      : executor_(std::move(executor)), config_(config), ctx_(ub_ctx_create()), fd_(executor_) {
    if (ctx_ == nullptr) throw std::runtime_error("libunbound: ub_ctx_create failed");
    try {
      configure();
      fd_.assign(ub_fd(ctx_));
    } catch (...) {
      ub_ctx_delete(ctx_);
      throw;
    }
  }

  ~Context() {
    if (fd_.is_open()) fd_.release();
    ub_ctx_delete(ctx_);
  }

  void close() {
    closed_ = true;
    boost::system::error_code ignored;
    fd_.cancel(ignored);
  }

  static asio::awaitable<TlsaAnswer> query(std::shared_ptr<Context> self, std::string name,
                                           RrType type) {
    co_return co_await self->run_query(std::move(name), type);
  }

 private:
  // The answer, and the TLSA records when type is TLSA.
  asio::awaitable<TlsaAnswer> run_query(std::string name, RrType type) {
    auto pending = std::make_shared<Pending>(this, executor_);
    pending->answer.qname = core::canonical_domain(name);
    pending->answer.qtype = type;
    pending->answer.canonical_name = pending->answer.qname;
    pending->answer.resolver_path = resolver_path_for(config_, name);
    int rc = ub_resolve_async(ctx_, name.c_str(), static_cast<int>(type), kClassIn, pending.get(),
                              &Context::on_result, &pending->async_id);
    if (rc != 0) {
      pending->answer.error_text = ub_strerror(rc);
      co_return TlsaAnswer{std::move(pending->answer), {}};
    }
    in_flight_.emplace(pending.get(), pending);
    if (!pumping_) {
      pumping_ = true;
      asio::co_spawn(executor_, pump(shared_from_this()), asio::detached);
    }
    pending->wake.expires_after(config_.query_timeout);
    co_await pending->wake.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!pending->done) {
      if (ub_cancel(ctx_, pending->async_id) == 0) in_flight_.erase(pending.get());
      boost::system::error_code ignored;
      if (in_flight_.empty()) fd_.cancel(ignored);  // the pump re-checks and ends
      pending->answer.outcome = DnsOutcome::timeout;
      pending->answer.error_text =
          "no answer within " + std::to_string(config_.query_timeout.count()) + " ms";
    }
    co_return TlsaAnswer{std::move(pending->answer), std::move(pending->tlsa)};
  }

  struct Pending {
    Pending(Context* owner_context, const asio::any_io_executor& executor)
        : owner(owner_context), wake(executor) {}
    Context* owner;
    int async_id = 0;
    bool done = false;
    DnsAnswer answer;
    std::vector<TlsaRecord> tlsa;
    asio::steady_timer wake;  // cancelled when the answer arrives; expiry is the timeout
  };

  void configure() {
    check(ub_ctx_async(ctx_, 1), "async");
    if (config_.dnssec && !std::filesystem::is_regular_file(config_.trust_anchor_file))
      throw std::runtime_error("DNSSEC trust anchor file " + config_.trust_anchor_file.string() +
                               " is missing (install dns-root-data, or set dns.dnssec = false)");
    if (config_.dnssec)
      check(ub_ctx_add_ta_file(ctx_, config_.trust_anchor_file.c_str()),
            "trust anchor " + config_.trust_anchor_file.string());
    else
      set_option("module-config", "iterator");
    for (const auto& forwarder : config_.forwarders)
      check(ub_ctx_set_fwd(ctx_, forwarder.c_str()), "forwarder " + forwarder);
    for (const auto& stub : config_.stubs) {
      for (const auto& server : stub.servers)
        check(ub_ctx_set_stub(ctx_, stub.zone.c_str(), server.c_str(), 0),
              "stub " + stub.zone + " " + server);
      // libunbound answers special-use names (test., home.arpa., private reverse zones) from
      // built-in local zones without asking anyone; a configured stub must win.
      const auto zone = stub.zone.ends_with('.') ? stub.zone : stub.zone + ".";
      set_option("local-zone", zone + " transparent");
    }
    for (const auto& [name, value] : config_.unbound_options) set_option(name, value);
  }

  void set_option(std::string name, const std::string& value) {
    if (!name.ends_with(':')) name += ':';
    check(ub_ctx_set_option(ctx_, name.c_str(), value.c_str()), "option " + name + " " + value);
  }

  static void on_result(void* data, int err, ub_result* result) {
    auto* pending = static_cast<Pending*>(data);
    fill_answer(pending->answer, pending->tlsa, err, result);
    if (result != nullptr) ub_resolve_free(result);
    pending->done = true;
    pending->wake.cancel();
    pending->owner->in_flight_.erase(pending);
  }

  // Runs while queries are in flight: waits for ub_fd to become readable, then lets
  // libunbound deliver finished queries through on_result.
  static asio::awaitable<void> pump(std::shared_ptr<Context> self) {
    while (!self->closed_ && !self->in_flight_.empty()) {
      auto [ec] = co_await self->fd_.async_wait(asio::posix::descriptor_base::wait_read,
                                                asio::as_tuple(asio::use_awaitable));
      if (ec == asio::error::operation_aborted) continue;  // woken to re-check in_flight_
      if (ec || ub_process(self->ctx_) != 0) break;
    }
    self->pumping_ = false;
  }

  asio::any_io_executor executor_;
  conf::DnsConfig config_;
  ub_ctx* ctx_;
  asio::posix::stream_descriptor fd_;
  std::map<Pending*, std::shared_ptr<Pending>> in_flight_;
  bool pumping_ = false;
  bool closed_ = false;
};

UnboundClient::UnboundClient(asio::any_io_executor executor, const conf::DnsConfig& config)
    : context_(std::make_shared<Context>(std::move(executor), config)) {}

UnboundClient::~UnboundClient() {
  context_->close();
}

namespace {

asio::awaitable<DnsAnswer> without_records(asio::awaitable<TlsaAnswer> query) {
  auto answer = co_await std::move(query);
  co_return std::move(answer.dns);
}

}  // namespace

asio::awaitable<DnsAnswer> UnboundClient::query(std::string name, RrType type) {
  return without_records(Context::query(context_, std::move(name), type));
}

asio::awaitable<TlsaAnswer> UnboundClient::query_tlsa(std::string host, std::uint16_t port) {
  return Context::query(context_, tlsa_query_name(host, port), RrType::tlsa);
}

std::string libunbound_version() {
  return ub_version();
}

}  // namespace mxrelay::resolver
