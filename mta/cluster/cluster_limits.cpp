// mta/cluster: ClusterLimits.
#include "mta/cluster/cluster_limits.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/log_line.hpp"
#include "mta/cluster/cluster_keys.hpp"
#include "mta/cluster/cluster_scripts.hpp"

namespace mxrelay::mta {

namespace asio = boost::asio;

namespace {

std::int64_t unix_ms(std::chrono::system_clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
}

// Why a reply is not the one a call expects.
std::string unexpected_reply(const std::expected<RedisReply, std::string>& reply) {
  if (!reply) return reply.error();
  if (reply->is_error()) return reply->text;
  return "unexpected reply";
}

}  // namespace

std::vector<RemoteHealthHold> decode_health_holds(const RedisReply& reply, std::string_view node,
                                                  std::chrono::steady_clock::time_point now) {
  std::vector<RemoteHealthHold> out;
  if (reply.type != RedisReply::Type::array) return out;
  const auto& items = reply.elements;
  for (std::size_t i = 0; i + 2 < items.size(); i += 3) {
    if (items[i].type != RedisReply::Type::string ||
        items[i + 1].type != RedisReply::Type::string ||
        items[i + 2].type != RedisReply::Type::integer || items[i + 2].integer <= 0)
      continue;
    auto field = parse_health_field(items[i].text);
    auto record = parse_suspension(items[i + 1].text);
    if (!field || !record || record->node == node) continue;
    out.push_back(RemoteHealthHold{std::move(field->destination), std::move(field->address),
                                   now + std::chrono::milliseconds(items[i + 2].integer),
                                   std::move(record->reply), std::move(record->node)});
  }
  return out;
}

std::chrono::steady_clock::time_point steady_until(
    std::int64_t until_unix_ms, std::chrono::system_clock::time_point system_now,
    std::chrono::steady_clock::time_point steady_now) {
  const auto left = std::chrono::milliseconds(until_unix_ms) - system_now.time_since_epoch();
  return steady_now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(left);
}

std::shared_ptr<ClusterLimits> ClusterLimits::create(asio::any_io_executor executor,
                                                     ClusterOptions options,
                                                     AvailabilityHandler on_availability) {
  std::shared_ptr<ClusterLimits> limits(
      new ClusterLimits(executor, std::move(options), std::move(on_availability)));
  const auto& config = limits->options_.config;
  limits->redis_ = RedisConnection::create(
      executor, RedisEndpoint{config.redis_host, config.redis_port, config.timeout},
      [weak = std::weak_ptr<ClusterLimits>(limits)](bool up, const std::string& reason) {
        if (auto self = weak.lock()) self->note(up, reason);
      });
  return limits;
}

ClusterLimits::ClusterLimits(asio::any_io_executor executor, ClusterOptions options,
                             AvailabilityHandler on_availability)
    : executor_(executor),
      options_(std::move(options)),
      on_availability_(std::move(on_availability)),
      acquire_script_(std::string(acquire_lease_script())),
      renew_script_(std::string(renew_leases_script())),
      rate_script_(std::string(reserve_rate_script())),
      publish_health_script_(std::string(publish_health_script())),
      health_holds_script_(std::string(health_holds_script())),
      share_state_script_(std::string(share_state_script())),
      renew_timer_(executor) {}

void ClusterLimits::start() {
  redis_->start();
  asio::co_spawn(executor_, renew_loop(), asio::detached);
}

void ClusterLimits::stop() {
  stopped_ = true;
  renew_timer_.cancel();
  redis_->stop();
}

void ClusterLimits::note(bool up, const std::string& reason) {
  switch (availability_.note(up)) {
    case ClusterAvailability::Change::none:
      return;
    case ClusterAvailability::Change::unavailable:
      core::LogLine("cluster_unavailable", core::Severity::warning)
          .kv("redis", options_.config.redis)
          .kv("reason", reason)
          .emit();
      break;
    case ClusterAvailability::Change::available:
      core::LogLine("cluster_available", core::Severity::notice)
          .kv("redis", options_.config.redis)
          .emit();
      break;
  }
  if (on_availability_) on_availability_(up);
}

std::string ClusterLimits::new_member() {
  return options_.node + ":" + std::to_string(++next_lease_);
}

ConnectionLease ClusterLimits::hold(const std::string& site, std::string member, bool shared) {
  ConnectionLease lease{site, std::move(member), shared};
  held_.emplace(lease.member, lease);
  ++held_per_site_[site];
  return lease;
}

std::size_t ClusterLimits::leases(const std::string& site) const {
  const auto found = held_per_site_.find(site);
  return found == held_per_site_.end() ? 0 : found->second;
}

asio::awaitable<std::optional<ConnectionLease>> ClusterLimits::acquire_connection(
    std::string site, std::size_t limit) {
  const auto self = shared_from_this();
  auto member = new_member();
  if (limit == 0) co_return hold(site, std::move(member), false);
  if (redis_->up()) {
    std::vector<std::string> keys{lease_key(options_.config.key_prefix, site)};
    std::vector<std::string> args{member, std::to_string(limit),
                                  std::to_string(options_.lease_lifetime.count())};
    auto reply =
        co_await acquire_script_.run(*redis_, std::move(keys), std::move(args), deadline());
    if (reply && reply->type == RedisReply::Type::integer) {
      note(true, "");
      if (reply->integer != 1) co_return std::nullopt;
      co_return hold(site, std::move(member), true);
    }
    note(false, unexpected_reply(reply));
  }
  if (leases(site) >= fallback_connection_limit(limit, options_.config.expected_nodes))
    co_return std::nullopt;
  co_return hold(site, std::move(member), false);
}

asio::awaitable<void> ClusterLimits::release_connection(ConnectionLease lease) {
  const auto self = shared_from_this();
  const auto found = held_.find(lease.member);
  if (found == held_.end()) co_return;
  const bool shared = found->second.shared;
  held_.erase(found);
  if (auto count = held_per_site_.find(lease.site); count != held_per_site_.end())
    if (--count->second == 0) held_per_site_.erase(count);
  if (!shared || !redis_->up()) co_return;
  std::vector<std::string> command{"ZREM", lease_key(options_.config.key_prefix, lease.site),
                                   lease.member};
  auto reply = co_await redis_->command(std::move(command), deadline());
  if (reply && !reply->is_error())
    note(true, "");
  else
    note(false, unexpected_reply(reply));
}

asio::awaitable<std::optional<HeldLease>> ClusterLimits::hold_connection(std::string site,
                                                                         std::size_t limit) {
  auto lease = co_await acquire_connection(std::move(site), limit);
  if (!lease) co_return std::nullopt;
  auto give_back = [weak = weak_from_this(), executor = executor_](const ConnectionLease* held) {
    const std::unique_ptr<const ConnectionLease> owned(held);
    if (auto self = weak.lock())
      asio::co_spawn(executor, self->release_connection(*owned), asio::detached);
  };
  co_return HeldLease(new ConnectionLease(std::move(*lease)), std::move(give_back));
}

asio::awaitable<ClusterLimits::Clock::duration> ClusterLimits::rate_delay(std::string site,
                                                                          double per_minute) {
  const auto self = shared_from_this();
  if (per_minute <= 0) co_return Clock::duration::zero();
  if (redis_->up()) {
    std::vector<std::string> keys{rate_key(options_.config.key_prefix, site)};
    std::vector<std::string> args{std::to_string(per_minute)};
    auto reply = co_await rate_script_.run(*redis_, std::move(keys), std::move(args), deadline());
    if (reply && reply->type == RedisReply::Type::integer) {
      note(true, "");
      co_return std::chrono::milliseconds(std::max<std::int64_t>(0, reply->integer));
    }
    note(false, unexpected_reply(reply));
  }
  const auto rate = fallback_rate(per_minute, options_.config.expected_nodes);
  const auto now = Clock::now();
  auto& bucket = fallback_buckets_.try_emplace(site, rate).first->second;
  if (bucket.rate() != rate) bucket.set_rate(rate, now);
  co_return bucket.reserve(now) - now;
}

asio::awaitable<void> ClusterLimits::publish_suspension(std::string site, Clock::time_point until,
                                                        std::string reply) {
  const auto self = shared_from_this();
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
  if (left <= std::chrono::milliseconds::zero() || !redis_->up()) co_return;
  const SuspensionRecord record{options_.node, unix_ms(std::chrono::system_clock::now() + left),
                                reply};
  std::vector<std::string> command{"SET", suspension_key(options_.config.key_prefix, site),
                                   format_suspension(record), "PX", std::to_string(left.count())};
  auto answer = co_await redis_->command(std::move(command), deadline());
  if (answer && !answer->is_error())
    note(true, "");
  else
    note(false, unexpected_reply(answer));
}

asio::awaitable<std::vector<RemoteSuspension>> ClusterLimits::poll_suspensions(
    std::vector<std::string> sites) {
  const auto self = shared_from_this();
  std::vector<RemoteSuspension> out;
  if (sites.empty() || !redis_->up()) co_return out;
  std::vector<std::string> command{"MGET"};
  for (const auto& site : sites)
    command.push_back(suspension_key(options_.config.key_prefix, site));
  auto reply = co_await redis_->command(std::move(command), deadline());
  if (!reply || reply->type != RedisReply::Type::array || reply->elements.size() != sites.size()) {
    note(false, unexpected_reply(reply));
    co_return out;
  }
  note(true, "");
  const auto system_now = std::chrono::system_clock::now();
  const auto steady_now = Clock::now();
  for (std::size_t i = 0; i < sites.size(); ++i) {
    const auto& value = reply->elements[i];
    if (value.type != RedisReply::Type::string) continue;
    auto record = parse_suspension(value.text);
    if (!record || record->node == options_.node || record->until_unix_ms <= unix_ms(system_now))
      continue;
    // Each poll finds the suspension again while it lasts: only a new one (or a longer one) is
    // news.
    auto& polled = polled_until_[sites[i]];
    if (record->until_unix_ms <= polled) continue;
    polled = record->until_unix_ms;
    out.push_back(RemoteSuspension{sites[i],
                                   steady_until(record->until_unix_ms, system_now, steady_now),
                                   std::move(record->reply), std::move(record->node)});
  }
  co_return out;
}

asio::awaitable<void> ClusterLimits::publish_health_hold(std::string destination,
                                                         std::string address, Clock::duration hold,
                                                         std::string reason) {
  const auto self = shared_from_this();
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(hold);
  if (left <= std::chrono::milliseconds::zero() || !redis_->up()) co_return;
  std::vector<std::string> keys{health_key(options_.config.key_prefix)};
  std::vector<std::string> args{health_field(destination, address), options_.node,
                                std::to_string(left.count()), std::move(reason)};
  auto reply =
      co_await publish_health_script_.run(*redis_, std::move(keys), std::move(args), deadline());
  if (reply && !reply->is_error())
    note(true, "");
  else
    note(false, unexpected_reply(reply));
}

asio::awaitable<void> ClusterLimits::clear_health_hold(std::string destination,
                                                       std::string address) {
  const auto self = shared_from_this();
  if (!redis_->up()) co_return;
  std::vector<std::string> command{"HDEL", health_key(options_.config.key_prefix),
                                   health_field(destination, address)};
  auto reply = co_await redis_->command(std::move(command), deadline());
  if (reply && !reply->is_error())
    note(true, "");
  else
    note(false, unexpected_reply(reply));
}

asio::awaitable<std::optional<std::vector<RemoteHealthHold>>> ClusterLimits::poll_health_holds() {
  const auto self = shared_from_this();
  if (!redis_->up()) co_return std::nullopt;
  std::vector<std::string> keys{health_key(options_.config.key_prefix)};
  auto reply = co_await health_holds_script_.run(*redis_, std::move(keys), {}, deadline());
  if (!reply || reply->type != RedisReply::Type::array) {
    note(false, unexpected_reply(reply));
    co_return std::nullopt;
  }
  note(true, "");
  co_return decode_health_holds(*reply, options_.node, Clock::now());
}

asio::awaitable<std::optional<std::vector<ShareState>>> ClusterLimits::share_states(
    std::vector<std::string> shares) {
  const auto self = shared_from_this();
  if (!redis_->up()) co_return std::nullopt;
  std::vector<ShareState> out;
  if (shares.empty()) co_return out;
  std::vector<std::string> keys;
  for (const auto& share : shares) {
    keys.push_back(lease_key(options_.config.key_prefix, share));
    keys.push_back(suspension_key(options_.config.key_prefix, share));
  }
  auto reply = co_await share_state_script_.run(*redis_, std::move(keys), {}, deadline());
  if (!reply || reply->type != RedisReply::Type::array ||
      reply->elements.size() != 2 * shares.size()) {
    note(false, unexpected_reply(reply));
    co_return std::nullopt;
  }
  note(true, "");
  for (std::size_t i = 0; i < shares.size(); ++i) {
    ShareState state{std::move(shares[i]), 0, std::nullopt};
    const auto& count = reply->elements[2 * i];
    if (count.type == RedisReply::Type::integer && count.integer > 0)
      state.connections = static_cast<std::size_t>(count.integer);
    const auto& suspension = reply->elements[2 * i + 1];
    if (suspension.type == RedisReply::Type::string)
      state.suspension = parse_suspension(suspension.text);
    out.push_back(std::move(state));
  }
  co_return out;
}

asio::awaitable<void> ClusterLimits::renew_loop() {
  const auto self = shared_from_this();
  while (!stopped_) {
    renew_timer_.expires_after(options_.renew_interval);
    co_await renew_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (stopped_) break;
    co_await renew();
  }
}

asio::awaitable<void> ClusterLimits::renew() {
  std::vector<std::string> keys;
  std::vector<std::string> args{std::to_string(options_.lease_lifetime.count())};
  for (const auto& [member, lease] : held_) {
    if (!lease.shared) continue;
    keys.push_back(lease_key(options_.config.key_prefix, lease.site));
    args.push_back(member);
  }
  if (keys.empty() || !redis_->up()) co_return;
  auto reply = co_await renew_script_.run(*redis_, keys, args, deadline());
  if (!reply || reply->type != RedisReply::Type::array || reply->elements.size() != keys.size()) {
    note(false, unexpected_reply(reply));
    co_return;
  }
  note(true, "");
  // A lease gone from Redis (expired while Redis was slow, or Redis restarted) is counted here
  // only from now on.
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (reply->elements[i].integer == 0)
      if (auto held = held_.find(args[i + 1]); held != held_.end()) held->second.shared = false;
}

}  // namespace mxrelay::mta
