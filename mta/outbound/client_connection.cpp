// mta/outbound: outbound TCP/TLS connection with deadlines (see client_connection.hpp).
#include "mta/outbound/client_connection.hpp"

#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <stdexcept>

namespace mxrelay::mta {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using namespace asio::experimental::awaitable_operators;

namespace {

bool is_address_literal(const std::string& host) {
  boost::system::error_code error;
  asio::ip::make_address(host, error);
  return !error;
}

std::string openssl_error_text(const boost::system::error_code& error) {
  if (error.category() == asio::error::get_ssl_category()) {
    char text[256];
    ERR_error_string_n(static_cast<unsigned long>(error.value()), text, sizeof text);
    return text;
  }
  return error.message();
}

// The TLSA record that authenticated the peer: "DANE-EE 3 1 1".
std::string dane_match(SSL* handle) {
  std::uint8_t usage = 0;
  std::uint8_t selector = 0;
  std::uint8_t matching_type = 0;
  if (SSL_get0_dane_tlsa(handle, &usage, &selector, &matching_type, nullptr, nullptr) < 0)
    return "no TLSA match";
  const char* name = usage == 2 ? "DANE-TA " : usage == 3 ? "DANE-EE " : "";
  return name + std::to_string(usage) + " " + std::to_string(selector) + " " +
         std::to_string(matching_type);
}

template <typename Operation>
asio::awaitable<std::optional<boost::system::error_code>> with_deadline(
    asio::any_io_executor executor, std::chrono::steady_clock::duration timeout,
    Operation operation) {
  asio::steady_timer timer(executor, timeout);
  auto outcome = co_await (operation() || timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (outcome.index() == 1) co_return std::nullopt;
  co_return std::get<0>(std::get<0>(outcome));
}

}  // namespace

void ClientTlsContexts::set_ca_file(std::filesystem::path ca_file) {
  if (ca_file == ca_file_) return;
  ca_file_ = std::move(ca_file);
  if (context_) retired_.push_back(std::move(context_));
}

ssl::context& ClientTlsContexts::context() {
  if (context_) return *context_;
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  if (SSL_CTX_dane_enable(context->native_handle()) <= 0)
    throw std::runtime_error("cannot enable DANE on the client TLS context");
  if (ca_file_.empty()) {
    context->set_default_verify_paths();
  } else {
    boost::system::error_code error;
    context->load_verify_file(ca_file_.string(), error);
    if (error)
      throw std::runtime_error("cannot load CA file " + ca_file_.string() + ": " + error.message());
  }
  context_ = std::move(context);
  return *context_;
}

std::string ClientTlsInfo::str() const {
  return version + " " + cipher + " " + verification;
}

asio::awaitable<std::pair<IoStatus, std::string>> ClientConnection::connect(
    const asio::ip::tcp::endpoint& endpoint, std::chrono::steady_clock::duration timeout) {
  co_return co_await connect_for(socket_, endpoint, timeout);
}

std::expected<void, std::string> ClientConnection::bind_source(const asio::ip::address& source) {
  boost::system::error_code error;
  socket_.open(source.is_v6() ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), error);
  if (!error) {
    // Best effort: the port is then chosen at connect(), per destination, instead of at
    // bind(), where every connection from this address would need a port of its own.
    const int on = 1;
    ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
    socket_.bind(asio::ip::tcp::endpoint(source, 0), error);
  }
  if (!error) return {};
  boost::system::error_code ignored;
  socket_.close(ignored);
  return std::unexpected("cannot bind source address " + source.to_string() + ": " +
                         error.message());
}

asio::awaitable<IoStatus> ClientConnection::write(std::string_view bytes,
                                                  std::chrono::steady_clock::duration timeout) {
  if (tls_) co_return co_await write_for(*tls_, bytes, timeout);
  co_return co_await write_for(socket_, bytes, timeout);
}

asio::awaitable<ReadResult> ClientConnection::read_some(
    std::span<char> buffer, std::chrono::steady_clock::duration timeout) {
  if (tls_) co_return co_await read_some_for(*tls_, buffer, timeout);
  co_return co_await read_some_for(socket_, buffer, timeout);
}

std::size_t ClientConnection::bytes_waiting() {
  boost::system::error_code error;
  const auto available = socket_.available(error);
  return error ? 0 : available;
}

asio::awaitable<std::expected<ClientTlsInfo, std::string>> ClientConnection::handshake(
    ssl::context& context, const std::string& host_name, bool require_verified,
    std::chrono::steady_clock::duration timeout) {
  tls_.emplace(socket_, context);
  SSL* handle = tls_->native_handle();
  if (!host_name.empty() && !is_address_literal(host_name))
    SSL_set_tlsext_host_name(handle, host_name.c_str());
  X509_VERIFY_PARAM_set_hostflags(SSL_get0_param(handle), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  X509_VERIFY_PARAM_set1_host(SSL_get0_param(handle), host_name.c_str(), host_name.size());
  tls_->set_verify_mode(require_verified ? ssl::verify_peer : ssl::verify_none);
  co_return co_await run_handshake(timeout, false);
}

asio::awaitable<std::expected<ClientTlsInfo, std::string>> ClientConnection::handshake_dane(
    ssl::context& context, const std::string& host_name, std::span<const resolver::TlsaRecord> tlsa,
    std::chrono::steady_clock::duration timeout) {
  tls_.emplace(socket_, context);
  SSL* handle = tls_->native_handle();
  if (!host_name.empty() && !is_address_literal(host_name))
    SSL_set_tlsext_host_name(handle, host_name.c_str());
  if (SSL_dane_enable(handle, host_name.c_str()) <= 0)
    co_return std::unexpected(std::string("cannot enable DANE for this connection"));
  SSL_dane_set_flags(handle, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
  int usable = 0;
  for (const auto& record : tlsa)
    if (SSL_dane_tlsa_add(handle, record.usage, record.selector, record.matching_type,
                          record.data.data(), record.data.size()) > 0)
      ++usable;
  if (usable == 0) co_return std::unexpected(std::string("no usable TLSA record"));
  tls_->set_verify_mode(ssl::verify_peer);
  co_return co_await run_handshake(timeout, true);
}

asio::awaitable<std::expected<ClientTlsInfo, std::string>> ClientConnection::run_handshake(
    std::chrono::steady_clock::duration timeout, bool dane) {
  SSL* handle = tls_->native_handle();
  auto error = co_await with_deadline(socket_.get_executor(), timeout, [&] {
    return tls_->async_handshake(ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
  });
  const long verify_result = SSL_get_verify_result(handle);
  verify_result_ = verify_result;
  if (!error) co_return std::unexpected(std::string("handshake timed out"));
  if (*error) {
    if (verify_result != X509_V_OK)
      co_return std::unexpected(
          std::string(dane ? "DANE authentication failed: " : "certificate verification failed: ") +
          X509_verify_cert_error_string(verify_result));
    co_return std::unexpected(openssl_error_text(*error));
  }
  ClientTlsInfo info;
  info.version = SSL_get_version(handle);
  info.cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(handle));
  info.verified = verify_result == X509_V_OK && SSL_get0_peer_certificate(handle) != nullptr;
  if (dane && info.verified) {
    info.verification = "dane-verified (" + dane_match(handle) + ")";
  } else {
    info.verification = info.verified ? std::string("verified")
                                      : std::string("unverified (") +
                                            X509_verify_cert_error_string(verify_result) + ")";
  }
  co_return info;
}

std::string ClientConnection::local_address() const {
  boost::system::error_code error;
  const auto endpoint = socket_.local_endpoint(error);
  return error ? std::string() : endpoint.address().to_string();
}

void ClientConnection::close() {
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace mxrelay::mta
