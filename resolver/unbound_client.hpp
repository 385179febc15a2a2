// resolver: the libunbound glue. Owns one ub_ctx configured from conf::DnsConfig and runs
// its queries asynchronously on an Asio executor (ub_fd watched by a stream_descriptor,
// ub_process on readiness), with a per-query timeout. Every answer comes back as a DnsAnswer
// value; only construction failures throw (std::runtime_error: a start-up error).
// Use it from one thread (one io_context thread or one strand).
#pragma once

#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "conf/config.hpp"
#include "dns_answer.hpp"
#include "tlsa_record.hpp"

namespace mxrelay::resolver {

class UnboundClient {
 public:
  UnboundClient(boost::asio::any_io_executor executor, const conf::DnsConfig& config);
  ~UnboundClient();
  UnboundClient(const UnboundClient&) = delete;
  UnboundClient& operator=(const UnboundClient&) = delete;

  // Never throws for DNS trouble: failures are outcomes in the answer.
  boost::asio::awaitable<DnsAnswer> query(std::string name, RrType type);
  // The TLSA RRset of _PORT._tcp.HOST (RFC 7672 2.2.3), with its DNSSEC status.
  boost::asio::awaitable<TlsaAnswer> query_tlsa(std::string host, std::uint16_t port);

 private:
  class Context;
  std::shared_ptr<Context> context_;
};

// The path a query for name takes under config: "stub ZONE (servers)", "forwarder ...",
// or "recursion". Pure; shown in `route`.
std::string resolver_path_for(const conf::DnsConfig& config, std::string_view name);

// The version of the libunbound the relay runs with ("1.17.1"): it parses DNS answers inside
// this process, so its security fixes matter (`mxrelay version`, mxrelay_build_info).
std::string libunbound_version();

}  // namespace mxrelay::resolver
