// Integration test of DANE (RFC 7672) end to end without the delivery loop: NSD serves a zone
// signed here with ldns-signzone and an unsigned one; libunbound validates with the signed
// zone's key as trust anchor; next-hop resolution, dane_requirement() (TLSA lookup and the
// pure decision) and a small driver of SmtpClientSession over ClientConnection deliver to
// aiosmtpd with STARTTLS and a self-signed certificate. A matching TLSA 3 1 1 record
// authenticates the server; a wrong one fails the handshake (temporary 4.7.5); in the
// unsigned zone the TLSA record is ignored and TLS stays opportunistic.
#include <gtest/gtest.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "mta/outbound/client_connection.hpp"
#include "mta/outbound/dane_lookup.hpp"
#include "mta/protocol/smtp_client_session.hpp"
#include "peer_process.hpp"
#include "resolver/next_hop_resolver.hpp"
#include "tests/resolver/dns_peers.hpp"

namespace mxrelay::mta {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr const char* kMxIp = "127.0.0.91";

std::string run_shell(const std::string& script) {
  std::string out;
  if (FILE* pipe = popen(script.c_str(), "r")) {
    std::array<char, 256> buffer;
    while (fgets(buffer.data(), buffer.size(), pipe) != nullptr) out += buffer.data();
    if (pclose(pipe) != 0) out.clear();
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// What one delivery attempt to the first candidate of a domain came to.
struct Attempt {
  DaneRequirement requirement;
  std::optional<MessageResult> result;
  std::optional<ClientTlsInfo> tls;
  std::optional<core::Failure> connection_failure;
};

asio::awaitable<void> drive(ClientConnection& connection, SmtpClientSession& session,
                            const resolver::Candidate& candidate, ClientTlsContexts& contexts,
                            const OutboundMessage& message, Attempt& out) {
  std::array<char, 4096> buffer;
  bool started = false;
  for (;;) {
    const auto step = session.next();
    switch (step.kind) {
      case SmtpClientSession::Step::Kind::send: {
        const auto status = co_await connection.write(step.bytes, 10s);
        if (status != IoStatus::ok) session.on_eof();
        break;
      }
      case SmtpClientSession::Step::Kind::need_input: {
        const auto read = co_await connection.read_some(buffer, 10s);
        if (read.status == IoStatus::ok)
          session.on_input(std::string_view(buffer.data(), read.bytes));
        else
          session.on_eof();
        break;
      }
      case SmtpClientSession::Step::Kind::start_tls: {
        if (!session.begin_tls(connection.bytes_waiting())) break;
        std::expected<ClientTlsInfo, std::string> info;
        if (out.requirement.authenticates()) {
          info = co_await connection.handshake_dane(contexts.context(), candidate.host,
                                                    out.requirement.tlsa, 10s);
        } else {
          const bool verify = certificate_must_verify(out.requirement.session_policy);
          info = co_await connection.handshake(contexts.context(), candidate.host, verify, 10s);
        }
        if (info) {
          session.on_tls_established(info->str());
          out.tls = *info;
        } else {
          session.on_tls_failed(info.error());
        }
        break;
      }
      case SmtpClientSession::Step::Kind::ready:
        if (started) {
          session.quit();
        } else {
          session.start_message(message);
          started = true;
        }
        break;
      case SmtpClientSession::Step::Kind::message_done:
        out.result = session.take_result();
        break;
      case SmtpClientSession::Step::Kind::closed:
        out.connection_failure = session.connection_failure();
        co_return;
    }
  }
}

class DaneIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("mxrelay-dane-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    const auto d = dir_.string();
    ASSERT_EQ(std::system(("cd " + d +
                           " && openssl req -x509 -newkey rsa:2048 -nodes -keyout mx.key -out "
                           "mx.pem -days 2 -subj /CN=self-signed.invalid 2>/dev/null")
                              .c_str()),
              0);
    const auto spki_sha256 = run_shell(
        "openssl x509 -in " + d + "/mx.pem -noout -pubkey | openssl pkey -pubin -outform DER " +
        "| openssl dgst -sha256 -r | cut -d' ' -f1");
    ASSERT_EQ(spki_sha256.size(), 64u);
    port_ = testing::free_port(kMxIp);
    const std::string tlsa_owner = "_" + std::to_string(port_) + "._tcp.";
    const std::string wrong(64, '0');
    const std::string soa = "@ SOA ns admin 1 3600 600 86400 300\n@ NS ns\nns A 127.0.0.1\n";

    std::ofstream(dir_ / "dane.example.zone")
        << "$ORIGIN dane.example.\n$TTL 300\n"
        << soa << "good MX 10 mx-good\nbad MX 10 mx-bad\n"
        << "mx-good A " << kMxIp << "\nmx-bad A " << kMxIp << "\n"
        << tlsa_owner << "mx-good TLSA 3 1 1 " << spki_sha256 << "\n"
        << tlsa_owner << "mx-bad TLSA 3 1 1 " << wrong << "\n";
    const auto ksk = run_shell("cd " + d + " && ldns-keygen -a ECDSAP256SHA256 -k dane.example");
    const auto zsk = run_shell("cd " + d + " && ldns-keygen -a ECDSAP256SHA256 dane.example");
    ASSERT_FALSE(ksk.empty());
    ASSERT_FALSE(zsk.empty());
    ASSERT_EQ(
        std::system(("cd " + d + " && ldns-signzone dane.example.zone " + ksk + " " + zsk).c_str()),
        0);
    std::filesystem::copy_file(dir_ / (ksk + ".key"), dir_ / "trust-anchor.key");

    const std::string plain = "$ORIGIN plain.example.\n$TTL 300\n" + soa + "@ MX 10 mx\nmx A " +
                              kMxIp + "\n" + tlsa_owner + "mx TLSA 3 1 1 " + wrong + "\n";
    nsd_.emplace(std::map<std::string, std::string>{
        {"dane.example", read_text(dir_ / "dane.example.zone.signed")}, {"plain.example", plain}});

    dns_config_.dnssec = true;
    dns_config_.trust_anchor_file = dir_ / "trust-anchor.key";
    dns_config_.query_timeout = 5s;
    const auto server = nsd_->endpoint().unbound_syntax();
    dns_config_.stubs = {{"dane.example", {server}}, {"plain.example", {server}}};

    smtp_ = std::make_unique<testing::PeerProcess>(
        std::vector<std::string>{"/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l",
                                 std::string(kMxIp) + ":" + std::to_string(port_), "-c",
                                 "aiosmtpd.handlers.Sink", "--tlscert", d + "/mx.pem", "--tlskey",
                                 d + "/mx.key"},
        kMxIp, port_);
    ASSERT_TRUE(smtp_->started());
  }
  void TearDown() override {
    smtp_.reset();
    nsd_.reset();
    std::filesystem::remove_all(dir_);
  }

  Attempt attempt(const std::string& domain, TlsPolicy policy) {
    asio::io_context io;
    resolver::UnboundClient dns(io.get_executor(), dns_config_);
    resolver::PolicyContext policy_context;
    policy_context.port = port_;
    resolver::NextHopResolver resolver(dns, policy_context);
    ClientTlsContexts contexts;
    const std::string body = "Subject: dane\r\n\r\nhello\r\n";
    OutboundMessage message;
    message.sender = "s@relay.example";
    message.recipients = {"r@" + domain};
    message.data = &body;
    Attempt out;
    std::optional<resolver::RouteExplanation> route;
    std::optional<ClientConnection> connection;
    std::optional<SmtpClientSession> session;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          route = co_await resolver.resolve_mx(domain, port_);
          if (!route->result || route->result->empty()) co_return;
          const auto& candidate = route->result->front();
          out.requirement = co_await dane_requirement(dns, policy, *route, candidate);
          if (out.requirement.failure) co_return;
          connection.emplace(io.get_executor());
          const auto endpoint = asio::ip::tcp::endpoint(asio::ip::make_address(kMxIp), port_);
          const auto connected = co_await connection->connect(endpoint, 5s);
          if (connected.first != IoStatus::ok) co_return;
          session.emplace(ClientSessionContext{"relay.example", candidate.host,
                                               out.requirement.session_policy});
          co_await drive(*connection, *session, candidate, contexts, message, out);
          connection->close();
        },
        [](std::exception_ptr error) {
          if (error) std::rethrow_exception(error);
        });
    io.run();
    EXPECT_TRUE(route && route->result) << "no route to " << domain;
    return out;
  }

  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  std::optional<resolver::testing::NsdServer> nsd_;
  conf::DnsConfig dns_config_;
  std::unique_ptr<testing::PeerProcess> smtp_;
};

TEST_F(DaneIntegration, MatchingTlsaRecordAuthenticatesTheServer) {
  for (TlsPolicy policy : {TlsPolicy::dane, TlsPolicy::dane_only}) {
    SCOPED_TRACE(to_string(policy));
    const auto out = attempt("good.dane.example", policy);
    EXPECT_FALSE(out.requirement.failure) << out.requirement.failure->str();
    EXPECT_EQ(out.requirement.session_policy, TlsPolicy::verify) << out.requirement.note;
    ASSERT_EQ(out.requirement.tlsa.size(), 1u);
    ASSERT_TRUE(out.tls);
    EXPECT_TRUE(out.tls->verified);
    EXPECT_EQ(out.tls->verification, "dane-verified (DANE-EE 3 1 1)");
    ASSERT_TRUE(out.result);
    EXPECT_TRUE(out.result->delivered(0))
        << (out.result->failure ? out.result->failure->str() : "");
  }
}

TEST_F(DaneIntegration, WrongTlsaRecordFailsTheHandshakeTemporarily) {
  const auto out = attempt("bad.dane.example", TlsPolicy::dane);
  EXPECT_EQ(out.requirement.session_policy, TlsPolicy::verify);
  EXPECT_FALSE(out.tls);
  EXPECT_FALSE(out.result);
  ASSERT_TRUE(out.connection_failure);
  EXPECT_FALSE(out.connection_failure->is_permanent());
  EXPECT_EQ(out.connection_failure->status, (core::EnhancedStatus{4, 7, 5}));
  EXPECT_NE(out.connection_failure->reason.find("DANE authentication failed"), std::string::npos)
      << out.connection_failure->reason;
}

TEST_F(DaneIntegration, UnsignedZoneFallsBackToOpportunisticTls) {
  const auto out = attempt("plain.example", TlsPolicy::dane);
  EXPECT_FALSE(out.requirement.failure);
  EXPECT_EQ(out.requirement.session_policy, TlsPolicy::may);
  EXPECT_TRUE(out.requirement.tlsa.empty());
  EXPECT_EQ(out.requirement.note, "MX RRset insecure: no DANE");
  ASSERT_TRUE(out.tls);
  EXPECT_TRUE(out.tls->verification.starts_with("unverified")) << out.tls->verification;
  ASSERT_TRUE(out.result);
  EXPECT_TRUE(out.result->delivered(0));
}

TEST_F(DaneIntegration, DaneOnlyRefusesAnUnsignedZone) {
  const auto out = attempt("plain.example", TlsPolicy::dane_only);
  ASSERT_TRUE(out.requirement.failure);
  EXPECT_EQ(out.requirement.failure->status, (core::EnhancedStatus{4, 7, 4}));
  EXPECT_FALSE(out.result);
}

}  // namespace
}  // namespace mxrelay::mta
