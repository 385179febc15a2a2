// Integration tests of deliver() against a peer whose TLS handshake fails: a small SMTP front
// (starttls_front.py) offers STARTTLS and hands the connection to `openssl s_server`, which
// only accepts a NULL cipher with TLS 1.2 (no cipher in common with the client). `may` retries
// the same address in plaintext (RFC 7435); `encrypt` and `verify` defer with 4.7.5 after
// trying the next address, and say that the handshake failed.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "mta/outbound/smtp_delivery.hpp"
#include "peer_process.hpp"

namespace mxrelay::mta {
namespace {

namespace asio = boost::asio;
using testing::free_port;
using testing::PeerProcess;

resolver::Candidate candidate(const std::string& ip, std::uint16_t port) {
  resolver::Candidate out;
  out.host = "mx.broken-tls.example";
  out.address = core::IpAddress::parse(ip).value();
  out.port = port;
  return out;
}

class BrokenTlsPeer : public ::testing::Test {
 protected:
  void SetUp() override {
    envelope_.id = "Q1";
    envelope_.sender = "s@relay.example";
    envelope_.recipients = {"r@dest.example"};
    config_.connect_timeout = std::chrono::seconds(5);
    config_.greeting_timeout = config_.command_timeout = std::chrono::seconds(10);
    dir_ =
        std::filesystem::temp_directory_path() / ("mxrelay-broken-tls-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    const std::string script = "cd " + dir_.string() +
                               " && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem "
                               "-out cert.pem -days 2 -subj /CN=mx.broken-tls.example 2>/dev/null";
    ASSERT_EQ(std::system(script.c_str()), 0);
    const auto backend_port = free_port("127.0.0.1");
    tls_server_ = std::make_unique<PeerProcess>(
        std::vector<std::string>{"openssl", "s_server", "-quiet", "-accept",
                                 "127.0.0.1:" + std::to_string(backend_port), "-cert",
                                 (dir_ / "cert.pem").string(), "-key", (dir_ / "key.pem").string(),
                                 "-no_tls1_3", "-cipher", "NULL-SHA256:@SECLEVEL=0"},
        "127.0.0.1", backend_port);
    ASSERT_TRUE(tls_server_->started());
    port_ = free_port("127.0.0.81");
    for (const std::string ip : {"127.0.0.81", "127.0.0.82"})
      fronts_.push_back(std::make_unique<PeerProcess>(
          std::vector<std::string>{"/usr/bin/python3", MXRELAY_STARTTLS_FRONT, ip,
                                   std::to_string(port_), std::to_string(backend_port)},
          ip, port_));
  }
  void TearDown() override {
    fronts_.clear();
    tls_server_.reset();
    std::filesystem::remove_all(dir_);
  }

  DeliveryReport run(TlsPolicy policy) {
    const std::vector candidates = {candidate("127.0.0.81", port_), candidate("127.0.0.82", port_)};
    asio::io_context io;
    DeliveryReport report;
    asio::co_spawn(io,
                   deliver(io.get_executor(), candidates, {envelope_, recipients_, body_}, config_,
                           helo_name_, context_, policy),
                   [&](std::exception_ptr error, DeliveryReport result) {
                     if (error) std::rethrow_exception(error);
                     report = std::move(result);
                   });
    io.run();
    return report;
  }

  std::filesystem::path dir_;
  std::unique_ptr<PeerProcess> tls_server_;
  std::vector<std::unique_ptr<PeerProcess>> fronts_;
  std::uint16_t port_ = 0;
  // deliver() keeps references to these until io.run() returns.
  queue::Envelope envelope_;
  std::vector<std::size_t> recipients_{0};
  std::string body_ = "Subject: test\r\n\r\nhello\r\n";
  std::string helo_name_ = "relay.example";
  conf::DeliveryConfig config_;
  DeliveryContext context_;
};

TEST_F(BrokenTlsPeer, MayRetriesTheSameAddressInPlaintext) {
  const auto report = run(TlsPolicy::may);
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].status, queue::DeliveryStatus::sent)
      << report.recipients[0].reason;
  EXPECT_EQ(report.recipients[0].reason, "250 2.0.0 queued in plaintext");
  EXPECT_EQ(report.remote.relay(), "mx.broken-tls.example[127.0.0.81]:" + std::to_string(port_));
  EXPECT_TRUE(report.tls.fell_back);
  EXPECT_FALSE(report.tls.used);
}

TEST_F(BrokenTlsPeer, RequiredTlsTriesTheNextAddressThenDefers) {
  for (TlsPolicy policy : {TlsPolicy::encrypt, TlsPolicy::verify}) {
    SCOPED_TRACE(to_string(policy));
    const auto report = run(policy);
    ASSERT_EQ(report.recipients.size(), 1u);
    const auto& recipient = report.recipients[0];
    EXPECT_EQ(recipient.status, queue::DeliveryStatus::deferred);
    EXPECT_EQ(recipient.enhanced_status.str(), "4.7.5");
    EXPECT_NE(recipient.reason.find("TLS handshake with host mx.broken-tls.example[127.0.0.82]"),
              std::string::npos)
        << recipient.reason;
    EXPECT_NE(recipient.reason.find("handshake failure"), std::string::npos) << recipient.reason;
    EXPECT_FALSE(report.tls.fell_back);
    EXPECT_TRUE(context_.health().last_failure("dest.example",
                                               core::IpAddress::parse("127.0.0.81").value()));
    bool handshake_in_transcript = false;
    for (const auto& line : report.transcript)
      handshake_in_transcript |= line.find("<TLS handshake failed") != std::string::npos;
    EXPECT_TRUE(handshake_in_transcript);
  }
}

}  // namespace
}  // namespace mxrelay::mta
