// mta/mta_sts: the Beast HTTPS client that fetches MTA-STS policies (see policy_fetcher.hpp).
#include "mta/mta_sts/policy_fetcher.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <vector>

#include "core/ascii_case.hpp"
#include "mta/io/asio_helpers.hpp"

namespace mxrelay::mta::sts {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;

namespace {

constexpr std::uint16_t kHttpsPort = 443;
constexpr std::string_view kPolicyPath = "/.well-known/mta-sts.txt";

std::expected<std::unique_ptr<ssl::context>, FetchFailure> make_context(
    const std::filesystem::path& ca_file) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  context->set_default_verify_paths();
  if (!ca_file.empty()) {
    boost::system::error_code error;
    context->load_verify_file(ca_file.string(), error);
    if (error)
      return std::unexpected(
          FetchFailure{FetchFailure::Kind::webpki,
                       "cannot load CA file " + ca_file.string() + ": " + error.message()});
  }
  return context;
}

// "text/plain; charset=utf-8" -> true
bool is_text_plain(std::string_view content_type) {
  const auto media = content_type.substr(0, content_type.find(';'));
  auto end = media.find_last_not_of(" \t");
  return core::equals_ignoring_case(media.substr(0, end == std::string_view::npos ? 0 : end + 1),
                                    "text/plain");
}

asio::awaitable<std::vector<core::IpAddress>> addresses_of(resolver::UnboundClient& dns,
                                                           const std::string& host) {
  std::vector<core::IpAddress> addresses;
  for (const auto type : {resolver::RrType::a, resolver::RrType::aaaa}) {
    auto answer = co_await dns.query(host, type);
    addresses.insert(addresses.end(), answer.addresses.begin(), answer.addresses.end());
  }
  co_return addresses;
}

FetchFailure failure(FetchFailure::Kind kind, std::string reason) {
  return {kind, std::move(reason)};
}

// One GET to one address.
asio::awaitable<std::expected<std::string, FetchFailure>> fetch_from(
    ssl::context& context, const std::string& host, const core::IpAddress& address,
    std::chrono::steady_clock::duration timeout) {
  using Kind = FetchFailure::Kind;
  const auto token = asio::as_tuple(asio::use_awaitable);
  const auto where = "https://" + host + std::string(kPolicyPath) + " at " + address.str();
  beast::ssl_stream<beast::tcp_stream> stream(co_await asio::this_coro::executor, context);
  SSL* handle = stream.native_handle();
  SSL_set_tlsext_host_name(handle, host.c_str());
  X509_VERIFY_PARAM_set_hostflags(SSL_get0_param(handle), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  X509_VERIFY_PARAM_set1_host(SSL_get0_param(handle), host.c_str(), host.size());
  stream.set_verify_mode(ssl::verify_peer);
  auto& tcp = beast::get_lowest_layer(stream);
  tcp.expires_after(timeout);
  auto [connect_error] =
      co_await tcp.async_connect(asio::ip::tcp::endpoint(to_asio(address), kHttpsPort), token);
  if (connect_error)
    co_return std::unexpected(failure(Kind::connect, where + ": " + connect_error.message()));
  auto [handshake_error] = co_await stream.async_handshake(ssl::stream_base::client, token);
  if (handshake_error) {
    const long verify = SSL_get_verify_result(handle);
    if (verify != X509_V_OK)
      co_return std::unexpected(failure(
          Kind::webpki,
          where + ": certificate verification failed: " + X509_verify_cert_error_string(verify)));
    co_return std::unexpected(
        failure(Kind::connect, where + ": TLS handshake failed: " + handshake_error.message()));
  }
  http::request<http::empty_body> request{http::verb::get, std::string(kPolicyPath), 11};
  request.set(http::field::host, host);
  request.set(http::field::user_agent, "mxrelay");
  request.set(http::field::connection, "close");
  auto [write_error, written] = co_await http::async_write(stream, request, token);
  if (write_error)
    co_return std::unexpected(failure(Kind::connect, where + ": " + write_error.message()));
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxPolicyBytes);
  auto [read_error, read] = co_await http::async_read(stream, buffer, parser, token);
  if (read_error == http::error::body_limit)
    co_return std::unexpected(failure(
        Kind::http, where + ": policy larger than " + std::to_string(kMaxPolicyBytes) + " bytes"));
  if (read_error)
    co_return std::unexpected(failure(Kind::http, where + ": " + read_error.message()));
  const auto& response = parser.get();
  const auto status = response.result_int();
  if (status >= 300 && status < 400)
    co_return std::unexpected(failure(
        Kind::http, where + ": redirect (HTTP " + std::to_string(status) + ") not followed"));
  if (status != 200)
    co_return std::unexpected(failure(Kind::http, where + ": HTTP " + std::to_string(status)));
  const auto type = response[http::field::content_type];
  if (!is_text_plain(std::string_view(type.data(), type.size())))
    co_return std::unexpected(
        failure(Kind::http, where + ": media type is not text/plain: " + std::string(type)));
  co_return response.body();
}

}  // namespace

asio::awaitable<std::expected<std::string, FetchFailure>> fetch_policy_body(
    resolver::UnboundClient& dns, std::string host, std::filesystem::path ca_file,
    std::chrono::steady_clock::duration timeout) {
  auto context = make_context(ca_file);
  if (!context) co_return std::unexpected(context.error());
  const auto addresses = co_await addresses_of(dns, host);
  if (addresses.empty())
    co_return std::unexpected(failure(FetchFailure::Kind::dns, "no address for " + host));
  std::expected<std::string, FetchFailure> result;
  for (const auto& address : addresses) {
    result = co_await fetch_from(**context, host, address, timeout);
    if (result) break;
  }
  co_return result;
}

}  // namespace mxrelay::mta::sts
