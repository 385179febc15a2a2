// mta/outbound: the outbound connection of one SMTP session: a TCP socket that can switch to TLS in
// the middle of the conversation (STARTTLS), with deadline-bounded reads, writes and
// handshake. Client TLS contexts (TLS 1.2 minimum, system CAs or a given CA file) are built
// once per verification mode and shared (DANE enabled on them). The handshake sets SNI and
// the host name to match, and reports version, cipher and the verification result; a DANE
// handshake (RFC 7672) authenticates the certificate by TLSA records instead of the CA store.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <chrono>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mta/io/asio_helpers.hpp"
#include "resolver/tlsa_record.hpp"

namespace mxrelay::mta {

class ClientTlsContexts {
 public:
  // ca_file empty: the system's default CA store.
  explicit ClientTlsContexts(std::filesystem::path ca_file = {}) : ca_file_(std::move(ca_file)) {}
  // Built on first use; throws std::runtime_error when the CA file cannot be loaded.
  boost::asio::ssl::context& context();
  // A reload's delivery.tls_ca_file: new connections use it. The context in use is kept
  // alive (not freed): sessions parked in the pool still refer to it.
  void set_ca_file(std::filesystem::path ca_file);

 private:
  std::filesystem::path ca_file_;
  std::unique_ptr<boost::asio::ssl::context> context_;
  std::vector<std::unique_ptr<boost::asio::ssl::context>> retired_;
};

struct ClientTlsInfo {
  std::string version;       // "TLSv1.3"
  std::string cipher;        // "TLS_AES_256_GCM_SHA384"
  bool verified = false;     // chain and host name checked successfully
  std::string verification;  // "verified", "dane-verified (DANE-EE 3 1 1)", or why not
  // "TLSv1.3 TLS_AES_256_GCM_SHA384 verified"
  std::string str() const;
};

class ClientConnection {
 public:
  explicit ClientConnection(boost::asio::any_io_executor executor) : socket_(executor) {}

  boost::asio::ip::tcp::socket& socket() { return socket_; }
  // Opens the socket for source's family and binds it to source (the kernel picks the port
  // at connect()), so that connect() leaves from that address; the reason when it cannot.
  std::expected<void, std::string> bind_source(const boost::asio::ip::address& source);
  boost::asio::awaitable<std::pair<IoStatus, std::string>> connect(
      const boost::asio::ip::tcp::endpoint& endpoint, std::chrono::steady_clock::duration timeout);
  boost::asio::awaitable<IoStatus> write(std::string_view bytes,
                                         std::chrono::steady_clock::duration timeout);
  boost::asio::awaitable<ReadResult> read_some(std::span<char> buffer,
                                               std::chrono::steady_clock::duration timeout);
  // Bytes the kernel holds that were not read yet (checked before the handshake).
  std::size_t bytes_waiting();
  // Client handshake on the connected socket. host_name is sent as SNI (unless it is an
  // address literal) and matched against the certificate; with require_verified a chain or
  // name mismatch fails the handshake, otherwise it is only reported.
  boost::asio::awaitable<std::expected<ClientTlsInfo, std::string>> handshake(
      boost::asio::ssl::context& context, const std::string& host_name, bool require_verified,
      std::chrono::steady_clock::duration timeout);
  // DANE: the certificate must match one of tlsa (usable DANE-TA(2) / DANE-EE(3) records, see
  // dane_policy.hpp), or the handshake fails. host_name is sent as SNI and is the reference
  // identifier for DANE-TA; DANE-EE ignores names and validity dates (RFC 7672 3.1.1).
  boost::asio::awaitable<std::expected<ClientTlsInfo, std::string>> handshake_dane(
      boost::asio::ssl::context& context, const std::string& host_name,
      std::span<const resolver::TlsaRecord> tlsa, std::chrono::steady_clock::duration timeout);
  void close();
  // OpenSSL's X509_V_ERR_* result of the last handshake (X509_V_OK, 0, before any).
  long verify_result() const { return verify_result_; }
  // The local address of the connected socket; "" when unknown.
  std::string local_address() const;

 private:
  // Runs the prepared handshake (dane: authenticated by TLSA records) and describes it.
  boost::asio::awaitable<std::expected<ClientTlsInfo, std::string>> run_handshake(
      std::chrono::steady_clock::duration timeout, bool dane);

  boost::asio::ip::tcp::socket socket_;
  std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  long verify_result_ = 0;
};

}  // namespace mxrelay::mta
