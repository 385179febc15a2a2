// Integration tests of deliver() against real peers on loopback: Postfix's smtp-sink (also
// answering 4xx at connect), and Python aiosmtpd with STARTTLS and a certificate from a CA
// generated here with the openssl command; and a peer in the test that records where each
// connection came from (delivery.source_ipv4 / source_ipv6, and no connection without a
// cluster lease).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mta/outbound/smtp_delivery.hpp"
#include "peer_process.hpp"

namespace mxrelay::mta {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

using testing::free_port;
// A peer process, stopped when the test ends.
using Peer = testing::PeerProcess;

resolver::Candidate candidate(const std::string& host, const std::string& ip, std::uint16_t port) {
  resolver::Candidate out;
  out.host = host;
  out.address = core::IpAddress::parse(ip).value();
  out.port = port;
  return out;
}

struct Delivery {
  queue::Envelope envelope;
  std::vector<std::size_t> recipients{0};
  std::string body = "Subject: test\r\n\r\nhello\r\n";
  // deliver() is a coroutine that keeps its reference parameters until it finishes, which is
  // after co_spawn returns: every argument must outlive io.run(), so no temporaries.
  std::string helo_name = "relay.example";
  conf::DeliveryConfig config;
  const ConnectionLimits* connections = nullptr;
  decltype(DeliveryRequest::site_lease) site_lease;
  Delivery() {
    envelope.id = "Q1";
    envelope.sender = "s@relay.example";
    envelope.recipients = {"r@dest.example"};
    config.connect_timeout = std::chrono::seconds(5);
    config.greeting_timeout = config.command_timeout = std::chrono::seconds(10);
  }

  DeliveryReport run(const std::vector<resolver::Candidate>& candidates, DeliveryContext& context,
                     TlsPolicy policy) {
    asio::io_context io;
    DeliveryReport report;
    DeliveryRequest request{envelope, recipients, body};
    request.connections = connections;
    request.site_lease = site_lease;
    asio::co_spawn(io,
                   deliver(io.get_executor(), candidates, std::move(request), config, helo_name,
                           context, policy),
                   [&](std::exception_ptr error, DeliveryReport result) {
                     if (error) std::rethrow_exception(error);
                     report = std::move(result);
                   });
    io.run();
    return report;
  }
};

Peer smtp_sink(const std::string& ip, std::uint16_t port, std::vector<std::string> options = {}) {
  std::vector<std::string> argv = {"smtp-sink", "-u", "nobody"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back(ip + ":" + std::to_string(port));
  argv.push_back("100");
  return Peer(argv, ip, port);
}

TEST(DeliverIntegration, FirstCandidateRefusesSecondDelivers) {
  const auto port = free_port("127.0.0.61");
  auto sink = smtp_sink("127.0.0.61", port);
  Delivery delivery;
  DeliveryContext context;
  const auto report = delivery.run({candidate("mx1.dest.example", "127.0.0.60", port),
                                    candidate("mx2.dest.example", "127.0.0.61", port)},
                                   context, TlsPolicy::may);
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].status, queue::DeliveryStatus::sent)
      << report.recipients[0].reason;
  EXPECT_EQ(report.remote.relay(), "mx2.dest.example[127.0.0.61]:" + std::to_string(port));
  ASSERT_EQ(context.health().unhealthy(std::chrono::steady_clock::now()).size(), 0u);
  EXPECT_TRUE(
      context.health().last_failure("dest.example", core::IpAddress::parse("127.0.0.60").value()));
}

TEST(DeliverIntegration, AlwaysBusyAddressIsMarkedUnhealthyAndMailStillFlows) {
  const auto port = free_port("127.0.0.62");
  auto busy = smtp_sink("127.0.0.62", port, {"-r", "connect"});
  auto good = smtp_sink("127.0.0.63", port);
  Delivery delivery;
  conf::DeliveryConfig settings;
  settings.health_failure_threshold = 2;
  DeliveryContext context(settings);
  const std::vector candidates = {candidate("mx.dest.example", "127.0.0.62", port),
                                  candidate("mx.dest.example", "127.0.0.63", port)};
  for (int i = 0; i < 6; ++i) {
    SCOPED_TRACE(i);
    const auto report = delivery.run(candidates, context, TlsPolicy::none);
    ASSERT_EQ(report.recipients.size(), 1u);
    EXPECT_EQ(report.recipients[0].status, queue::DeliveryStatus::sent)
        << report.recipients[0].reason;
    EXPECT_EQ(report.skipped.empty(), i < 2);
  }
  const auto unhealthy = context.health().unhealthy(std::chrono::steady_clock::now());
  ASSERT_EQ(unhealthy.size(), 1u);
  EXPECT_EQ(unhealthy[0].address.str(), "127.0.0.62");
  EXPECT_EQ(unhealthy[0].state, BreakerState::open);
  EXPECT_EQ(unhealthy[0].last_problem, HealthProblem::greeting_temporary);
}

// A peer in a thread of its own that answers every connection with a 421 greeting and
// records the address it came from.
class SourceRecorder {
 public:
  explicit SourceRecorder(const std::string& ip)
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address(ip), 0)) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~SourceRecorder() {
    io_.stop();
    thread_.join();
  }
  SourceRecorder(const SourceRecorder&) = delete;
  SourceRecorder& operator=(const SourceRecorder&) = delete;

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::vector<std::string> sources() {
    std::lock_guard lock(mutex_);
    return sources_;
  }

 private:
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code error, tcp::socket socket) {
      if (error) return;
      auto from = socket.remote_endpoint(error);
      {
        std::lock_guard lock(mutex_);
        sources_.push_back(error ? error.message() : from.address().to_string());
      }
      asio::write(socket, asio::buffer(std::string_view("421 4.3.2 test peer\r\n")), error);
      accept();
    });
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::mutex mutex_;
  std::vector<std::string> sources_;
  std::thread thread_;
};

TEST(DeliverIntegration, WithoutAClusterLeaseTheSiteHoldsTheMessageAndNothingConnects) {
  SourceRecorder peer("127.0.0.68");
  Delivery delivery;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  int asked = 0;
  delivery.site_lease =
      [&]() -> asio::awaitable<std::expected<std::shared_ptr<const void>, SiteHold>> {
    ++asked;
    co_return std::unexpected(SiteHold{until, "site microsoft has its 2 connections open"});
  };
  DeliveryContext context;
  const auto report = delivery.run({candidate("mx.dest.example", "127.0.0.68", peer.port())},
                                   context, TlsPolicy::none);
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(report.site_held_until, until);
  EXPECT_EQ(report.site_held_reason, "site microsoft has its 2 connections open");
  EXPECT_TRUE(report.recipients.empty());
  EXPECT_TRUE(peer.sources().empty());
}

TEST(DeliverIntegration, AClusterLeaseLastsAsLongAsItsPooledConnection) {
  const auto port = free_port("127.0.0.69");
  auto sink = smtp_sink("127.0.0.69", port);
  Delivery delivery;
  ConnectionLimits limits;
  limits.label = "mx";
  limits.site = "microsoft";
  limits.site_limit = 2;
  limits.idle_time = std::chrono::milliseconds(100);
  delivery.connections = &limits;
  auto lease = std::make_shared<int>(1);
  const std::weak_ptr<int> watched = lease;
  int asked = 0;
  delivery.site_lease =
      [&]() -> asio::awaitable<std::expected<std::shared_ptr<const void>, SiteHold>> {
    ++asked;
    co_return std::move(lease);
  };
  DeliveryContext context;
  const auto report =
      delivery.run({candidate("mx.dest.example", "127.0.0.69", port)}, context, TlsPolicy::none);
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].status, queue::DeliveryStatus::sent)
      << report.recipients[0].reason;
  EXPECT_EQ(asked, 1);
  // run() returns once the parked connection's idle time has closed it: the lease went with it.
  EXPECT_EQ(context.pool().open_connections(), 0u);
  EXPECT_TRUE(watched.expired());
}

std::optional<core::IpAddress> address(const std::string& text) {
  return core::IpAddress::parse(text).value();
}

TEST(DeliverIntegration, ConnectionsLeaveFromTheConfiguredSourceAddress) {
  SourceRecorder peer("127.0.0.66");
  Delivery delivery;
  delivery.config.source_ipv4 = address("127.0.0.77");
  delivery.config.source_ipv6 = address("2001:db8::1");  // not local, but only for IPv6
  DeliveryContext context;
  const auto report = delivery.run({candidate("mx.dest.example", "127.0.0.66", peer.port())},
                                   context, TlsPolicy::none);
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].status, queue::DeliveryStatus::deferred);
  EXPECT_NE(report.recipients[0].reason.find("421"), std::string::npos)
      << report.recipients[0].reason;
  EXPECT_EQ(peer.sources(), std::vector<std::string>{"127.0.0.77"});
}

TEST(DeliverIntegration, WithoutASourceAddressTheKernelChoosesIt) {
  SourceRecorder peer("127.0.0.66");
  Delivery delivery;
  DeliveryContext context;
  delivery.run({candidate("mx.dest.example", "127.0.0.66", peer.port())}, context, TlsPolicy::none);
  const auto sources = peer.sources();
  ASSERT_EQ(sources.size(), 1u);
  EXPECT_NE(sources[0], "127.0.0.77");
  EXPECT_TRUE(core::IpAddress::parse(sources[0])) << sources[0];
}

TEST(DeliverIntegration, Ipv6DestinationsUseTheIpv6SourceAddress) {
  SourceRecorder peer("::1");
  Delivery delivery;
  delivery.config.source_ipv4 = address("192.0.2.1");  // not local, but only for IPv4
  delivery.config.source_ipv6 = address("::1");
  DeliveryContext context;
  delivery.run({candidate("mx.dest.example", "::1", peer.port())}, context, TlsPolicy::none);
  EXPECT_EQ(peer.sources(), std::vector<std::string>{"::1"});
}

TEST(DeliverIntegration, ASourceAddressThatIsNotLocalDefersWithTheBindReason) {
  SourceRecorder peer("127.0.0.67");
  Delivery delivery;
  delivery.config.source_ipv4 = address("192.0.2.1");
  DeliveryContext context;
  const auto report = delivery.run({candidate("mx.dest.example", "127.0.0.67", peer.port())},
                                   context, TlsPolicy::none);
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].status, queue::DeliveryStatus::deferred);
  EXPECT_EQ(report.recipients[0].enhanced_status.str(), "4.4.0");
  EXPECT_EQ(report.recipients[0].reason.rfind("cannot bind source address 192.0.2.1: ", 0), 0u)
      << report.recipients[0].reason;
  EXPECT_TRUE(report.destination_failed);
  EXPECT_EQ(report.connections_opened, 0u);
  EXPECT_TRUE(peer.sources().empty());
  // The destination did nothing wrong: its health is untouched.
  EXPECT_FALSE(
      context.health().last_failure("dest.example", core::IpAddress::parse("127.0.0.67").value()));
}

class TlsPeer : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("mxrelay-client-tls-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    const auto d = dir_.string();
    const std::string script =
        "set -e; cd " + d +
        "; openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
        "-subj /CN=mxrelay-test-ca 2>/dev/null"
        "; openssl req -newkey rsa:2048 -nodes -keyout mx.key -out mx.csr -subj "
        "/CN=mx.tls.example 2>/dev/null"
        "; printf 'subjectAltName=DNS:mx.tls.example\\n' > ext.cnf"
        "; openssl x509 -req -in mx.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out mx.pem "
        "-days 2 -extfile ext.cnf 2>/dev/null";
    ASSERT_EQ(std::system(script.c_str()), 0);
    port_ = free_port("127.0.0.64");
    peer_ = std::make_unique<Peer>(
        std::vector<std::string>{
            "/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.64:" + std::to_string(port_),
            "-c", "aiosmtpd.handlers.Sink", "--tlscert", d + "/mx.pem", "--tlskey", d + "/mx.key"},
        "127.0.0.64", port_);
  }
  void TearDown() override {
    peer_.reset();
    std::filesystem::remove_all(dir_);
  }
  DeliveryReport run(const std::string& host, TlsPolicy policy) {
    conf::DeliveryConfig settings;
    settings.tls_ca_file = dir_ / "ca.pem";
    DeliveryContext context(settings);
    return delivery_.run({candidate(host, "127.0.0.64", port_)}, context, policy);
  }

  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Peer> peer_;
  Delivery delivery_;
};

TEST_F(TlsPeer, VerifySucceedsWithTheTestCaAndMatchingName) {
  const auto report = run("mx.tls.example", TlsPolicy::verify);
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].status, queue::DeliveryStatus::sent)
      << report.recipients[0].reason;
  EXPECT_TRUE(report.tls.used);
  EXPECT_EQ(report.tls.verification, "verified");
  EXPECT_TRUE(report.tls.version.starts_with("TLSv1."));
  EXPECT_FALSE(report.tls.cipher.empty());
}

TEST_F(TlsPeer, VerifyFailsWithAWrongNameAndDefers) {
  const auto report = run("wrong.tls.example", TlsPolicy::verify);
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].status, queue::DeliveryStatus::deferred);
  EXPECT_EQ(report.recipients[0].enhanced_status.str(), "4.7.5");
  EXPECT_NE(report.recipients[0].reason.find("certificate verification failed"), std::string::npos)
      << report.recipients[0].reason;
}

TEST_F(TlsPeer, EncryptUsesTlsWithoutCheckingTheName) {
  const auto report = run("wrong.tls.example", TlsPolicy::encrypt);
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].status, queue::DeliveryStatus::sent)
      << report.recipients[0].reason;
  EXPECT_TRUE(report.tls.used);
  EXPECT_TRUE(report.tls.verification.starts_with("unverified")) << report.tls.verification;
}

}  // namespace
}  // namespace mxrelay::mta
