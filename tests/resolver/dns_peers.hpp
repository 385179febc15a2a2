// tests/resolver: real DNS peers on random loopback endpoints for integration tests:
// NSD serving given zones, the failing dnslib responder, and a server that never answers.
// Each starts in its constructor, is ready when the constructor returns (it answered a real
// query), and stops in its destructor.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mxrelay::resolver::testing {

struct DnsEndpoint {
  std::string ip;
  std::uint16_t port = 0;
  std::string unbound_syntax() const { return ip + "@" + std::to_string(port); }
};

// 127.a.b.c with a random port: each peer plays its own host.
DnsEndpoint random_loopback_endpoint();

// What one UDP query (with EDNS, 4096-byte buffer) got back.
struct RawReply {
  int rcode = 0;
  bool truncated = false;
  std::size_t bytes = 0;
};
std::optional<RawReply> udp_query(const DnsEndpoint& server, std::string_view name,
                                  std::uint16_t type, std::chrono::milliseconds wait);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& log);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  bool running();

 private:
  pid_t pid_ = -1;
};

class NsdServer {
 public:
  // zones: zone name -> zone file text.
  explicit NsdServer(const std::map<std::string, std::string>& zones);
  const DnsEndpoint& endpoint() const { return endpoint_; }

 private:
  TempDir dir_;
  DnsEndpoint endpoint_;
  std::optional<ChildProcess> process_;
};

// SERVFAIL for MX, an A record for A (tests/resolver/failing_dns.py).
class FailingDnsServer {
 public:
  FailingDnsServer();
  const DnsEndpoint& endpoint() const { return endpoint_; }

 private:
  TempDir dir_;
  DnsEndpoint endpoint_;
  std::optional<ChildProcess> process_;
};

// A bound UDP socket that reads nothing and answers nothing.
class SilentDnsServer {
 public:
  SilentDnsServer();
  ~SilentDnsServer();
  const DnsEndpoint& endpoint() const { return endpoint_; }

 private:
  DnsEndpoint endpoint_;
  int socket_ = -1;
};

}  // namespace mxrelay::resolver::testing
