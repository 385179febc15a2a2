// tests/resolver: starting, probing and stopping the DNS peers of the integration tests.
#include "dns_peers.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace mxrelay::resolver::testing {

namespace {

constexpr std::uint16_t kTypeSoa = 6;
constexpr std::uint16_t kTypeA = 1;

std::vector<std::uint8_t> build_query(std::uint16_t id, std::string_view name, std::uint16_t type) {
  std::vector<std::uint8_t> packet{static_cast<std::uint8_t>(id >> 8),
                                   static_cast<std::uint8_t>(id & 0xff),
                                   0,
                                   0,
                                   0,
                                   1,
                                   0,
                                   0,
                                   0,
                                   0,
                                   0,
                                   1};
  while (!name.empty()) {
    auto dot = name.find('.');
    auto label = name.substr(0, dot);
    packet.push_back(static_cast<std::uint8_t>(label.size()));
    packet.insert(packet.end(), label.begin(), label.end());
    name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
  }
  packet.push_back(0);
  for (std::uint16_t field : {type, std::uint16_t{1}}) {
    packet.push_back(static_cast<std::uint8_t>(field >> 8));
    packet.push_back(static_cast<std::uint8_t>(field & 0xff));
  }
  // OPT pseudo-record: root name, type 41, UDP payload size 4096, no options.
  for (std::uint8_t byte : {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0}) packet.push_back(byte);
  return packet;
}

sockaddr_in to_sockaddr(const DnsEndpoint& endpoint) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(endpoint.port);
  inet_pton(AF_INET, endpoint.ip.c_str(), &address.sin_addr);
  return address;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Polls the server with real queries until it answers; throws with the log if it never does.
void wait_until_answering(const DnsEndpoint& endpoint, std::string_view name, std::uint16_t type,
                          ChildProcess& process, const std::filesystem::path& log) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline && process.running())
    if (udp_query(endpoint, name, type, std::chrono::milliseconds(100))) return;
  throw std::runtime_error("DNS peer on " + endpoint.unbound_syntax() + " did not answer; log:\n" +
                           read_file(log));
}

}  // namespace

DnsEndpoint random_loopback_endpoint() {
  static std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> octet(1, 254);
  std::uniform_int_distribution<int> port(20000, 60000);
  return {"127." + std::to_string(octet(random)) + "." + std::to_string(octet(random)) + "." +
              std::to_string(octet(random)),
          static_cast<std::uint16_t>(port(random))};
}

std::optional<RawReply> udp_query(const DnsEndpoint& server, std::string_view name,
                                  std::uint16_t type, std::chrono::milliseconds wait) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return std::nullopt;
  auto query = build_query(0x4d58, name, type);
  auto address = to_sockaddr(server);
  std::optional<RawReply> reply;
  if (sendto(fd, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&address),
             sizeof address) == static_cast<ssize_t>(query.size())) {
    pollfd ready{fd, POLLIN, 0};
    std::uint8_t buffer[65536];
    if (poll(&ready, 1, static_cast<int>(wait.count())) == 1) {
      auto size = recv(fd, buffer, sizeof buffer, 0);
      if (size >= 12 && buffer[0] == 0x4d && buffer[1] == 0x58)
        reply = RawReply{buffer[3] & 0x0f, (buffer[2] & 0x02) != 0, static_cast<std::size_t>(size)};
    }
  }
  close(fd);
  return reply;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "mxrelay-dns-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
}

ChildProcess::~ChildProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
}

bool ChildProcess::running() {
  int status = 0;
  if (pid_ > 0 && waitpid(pid_, &status, WNOHANG) == pid_) pid_ = -1;
  return pid_ > 0;
}

NsdServer::NsdServer(const std::map<std::string, std::string>& zones)
    : endpoint_(random_loopback_endpoint()) {
  const auto& dir = dir_.path();
  std::ofstream conf(dir / "nsd.conf");
  conf << "server:\n"
       << "  ip-address: " << endpoint_.unbound_syntax() << "\n"
       << "  port: " << endpoint_.port << "\n"
       << "  do-ip6: no\n  username: \"\"\n  chroot: \"\"\n  database: \"\"\n"
       << "  zonesdir: \"" << dir.string() << "\"\n"
       << "  zonelistfile: \"" << (dir / "zone.list").string() << "\"\n"
       << "  xfrdfile: \"" << (dir / "xfrd.state").string() << "\"\n"
       << "  xfrdir: \"" << dir.string() << "\"\n"
       << "  pidfile: \"" << (dir / "nsd.pid").string() << "\"\n"
       << "  logfile: \"" << (dir / "nsd.log").string() << "\"\n"
       << "  server-count: 1\n  ipv4-edns-size: 512\n"
       << "remote-control:\n  control-enable: no\n";
  for (const auto& [zone, text] : zones) {
    std::ofstream(dir / (zone + ".zone")) << text;
    conf << "zone:\n  name: \"" << zone << "\"\n  zonefile: \"" << zone << ".zone\"\n";
  }
  conf.close();
  auto log = dir / "nsd.out";
  process_.emplace(
      std::vector<std::string>{"/usr/sbin/nsd", "-d", "-c", (dir / "nsd.conf").string()}, log);
  wait_until_answering(endpoint_, zones.begin()->first, kTypeSoa, *process_, dir / "nsd.log");
}

FailingDnsServer::FailingDnsServer() : endpoint_(random_loopback_endpoint()) {
  auto log = dir_.path() / "failing_dns.log";
  process_.emplace(std::vector<std::string>{"/usr/bin/python3", MXRELAY_FAILING_DNS_SCRIPT,
                                            endpoint_.ip, std::to_string(endpoint_.port)},
                   log);
  wait_until_answering(endpoint_, "probe.example.org", kTypeA, *process_, log);
}

SilentDnsServer::SilentDnsServer() : endpoint_(random_loopback_endpoint()) {
  socket_ = socket(AF_INET, SOCK_DGRAM, 0);
  auto address = to_sockaddr(endpoint_);
  if (socket_ < 0 || bind(socket_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    throw std::runtime_error("cannot bind silent DNS server on " + endpoint_.unbound_syntax());
}

SilentDnsServer::~SilentDnsServer() {
  if (socket_ >= 0) close(socket_);
}

}  // namespace mxrelay::resolver::testing
