// Integration tests of SmtpListener on loopback with real clients: swaks with STARTTLS and
// AUTH PLAIN, and openssl s_client for the TLS version policy. The certificate is generated
// here with the openssl command; the credentials file with mxrelay's own hashing.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mta/inbound/credentials.hpp"
#include "mta/inbound/smtp_listener.hpp"
#include "mta/metrics.hpp"
#include "queue/spool.hpp"

namespace mxrelay::mta {
namespace {

namespace fs = std::filesystem;

int run(const std::string& command) {
  int status = std::system((command + " >/dev/null 2>&1 </dev/null").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class SmtpListenerIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mxrelay-listener-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_EQ(run("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=mx.test -keyout " +
                  (dir_ / "key.pem").string() + " -out " + (dir_ / "cert.pem").string()),
              0);
    auto credentials = dir_ / "credentials";
    std::ofstream(credentials) << "alice:"
                               << format_password_hash(new_password_hash("s3cret", 100000)) << "\n";
    ::chmod(credentials.c_str(), 0600);

    auto config = std::make_shared<conf::Config>();
    config->server.listen = {{*core::IpAddress::parse("127.0.0.1"), 0}};
    config->server.hostname = "mx.test";
    spool_ = std::make_unique<queue::Spool>(dir_ / "spool");
    config->server.tls_cert_file = dir_ / "cert.pem";
    config->server.tls_key_file = dir_ / "key.pem";
    config->server.credentials_file = credentials;
    adjust(*config);
    listener_ = std::make_unique<SmtpListener>(io_, config, *spool_, disk_, metrics_,
                                               [this](queue::Envelope envelope, std::uint64_t) {
                                                 std::lock_guard lock(mutex_);
                                                 queued_.push_back(std::move(envelope));
                                               });
    listener_->start();
    port_ = listener_->local_endpoints().at(0).port();
    io_thread_ = std::thread([this] { io_.run(); });
  }

  virtual void adjust(conf::Config&) {}

  void TearDown() override {
    if (io_thread_.joinable()) {
      io_.stop();
      io_thread_.join();
    }
    disk_.join();
    fs::remove_all(dir_);
  }

  std::string server() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string swaks(const std::string& options) const {
    return "swaks --server " + server() +
           " --helo client.test --from a@client.test --to b@remote.test " + options;
  }
  std::vector<queue::Envelope> queued() {
    std::lock_guard lock(mutex_);
    return queued_;
  }

  fs::path dir_;
  boost::asio::io_context io_;
  boost::asio::thread_pool disk_{1};
  Metrics metrics_;
  std::unique_ptr<queue::Spool> spool_;
  std::unique_ptr<SmtpListener> listener_;
  std::uint16_t port_ = 0;
  std::thread io_thread_;
  std::mutex mutex_;
  std::vector<queue::Envelope> queued_;
};

TEST_F(SmtpListenerIntegration, SwaksStartTlsAndAuthPlainRelays) {
  ASSERT_EQ(run(swaks("--tls --auth PLAIN --auth-user alice --auth-password s3cret")), 0);
  auto messages = queued();
  ASSERT_EQ(messages.size(), 1u);
  auto record = spool_->read_record(messages[0].id);
  ASSERT_TRUE(record);
  EXPECT_NE(record->find("with ESMTPSA id " + messages[0].id), std::string::npos);
  EXPECT_NE(record->find("(using TLSv1.3 with cipher "), std::string::npos);
}

TEST_F(SmtpListenerIntegration, RelayNeedsAuthAndAuthNeedsTls) {
  EXPECT_NE(run(swaks("--tls")), 0);  // 554 5.7.1 relay access denied
  EXPECT_NE(run(swaks("--auth PLAIN --auth-user alice --auth-password s3cret")), 0);
  EXPECT_NE(run(swaks("--tls --auth LOGIN --auth-user alice --auth-password wrong")), 0);
  EXPECT_EQ(run(swaks("--tls --auth LOGIN --auth-user alice --auth-password s3cret")), 0);
  EXPECT_EQ(queued().size(), 1u);
}

TEST_F(SmtpListenerIntegration, OpensslRefusesTls11AndAcceptsTls12) {
  const std::string s_client = "openssl s_client -starttls smtp -connect " + server() + " ";
  EXPECT_NE(run(s_client + "-tls1_1"), 0);
  EXPECT_EQ(run(s_client + "-tls1_2"), 0);
  EXPECT_EQ(run(s_client + "-tls1_3"), 0);
}

class SmtpListenerConnectionLimit : public SmtpListenerIntegration {
 protected:
  void adjust(conf::Config& config) override { config.server.max_connections_per_client = 1; }

  // Connects and returns the first line the server sends.
  std::string first_line(boost::asio::ip::tcp::socket& socket) {
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), port_});
    std::string line;
    boost::system::error_code error;
    boost::asio::read_until(socket, boost::asio::dynamic_buffer(line), "\r\n", error);
    return line;
  }
};

TEST_F(SmtpListenerConnectionLimit, ConnectionOverThePerClientLimitGets421) {
  boost::asio::io_context client;
  boost::asio::ip::tcp::socket first(client), second(client);
  EXPECT_EQ(first_line(first), "220 mx.test ESMTP mxrelay\r\n");
  EXPECT_EQ(first_line(second), "421 4.7.0 mx.test Error: too many connections\r\n");
  first.close();
  // The slot is free once the server has seen the close; poll for it.
  std::string banner;
  for (int attempt = 0; attempt < 100 && !banner.starts_with("220"); ++attempt) {
    boost::asio::ip::tcp::socket again(client);
    banner = first_line(again);
  }
  EXPECT_EQ(banner, "220 mx.test ESMTP mxrelay\r\n");
}

}  // namespace
}  // namespace mxrelay::mta
