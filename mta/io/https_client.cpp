// mta/io: the Beast HTTPS client (see https_client.hpp).
#include "mta/io/https_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <memory>
#include <vector>

#include "mta/io/asio_helpers.hpp"

namespace mxrelay::mta {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;

namespace {

HttpsFailure failure(HttpsFailure::Kind kind, std::string reason) {
  return {kind, std::move(reason)};
}

std::expected<std::unique_ptr<ssl::context>, HttpsFailure> make_context(
    const std::filesystem::path& ca_file) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  context->set_default_verify_paths();
  if (!ca_file.empty()) {
    boost::system::error_code error;
    context->load_verify_file(ca_file.string(), error);
    if (error)
      return std::unexpected(
          failure(HttpsFailure::Kind::webpki,
                  "cannot load CA file " + ca_file.string() + ": " + error.message()));
  }
  return context;
}

asio::awaitable<std::vector<core::IpAddress>> addresses_of(resolver::UnboundClient& dns,
                                                           const std::string& host) {
  if (auto literal = core::IpAddress::parse(host)) co_return std::vector{*literal};
  std::vector<core::IpAddress> addresses;
  for (const auto type : {resolver::RrType::a, resolver::RrType::aaaa}) {
    auto answer = co_await dns.query(host, type);
    addresses.insert(addresses.end(), answer.addresses.begin(), answer.addresses.end());
  }
  co_return addresses;
}

// SNI and the name to verify: a DNS name, or the address an address literal names.
void expect_identity(SSL* handle, const std::string& host) {
  auto* param = SSL_get0_param(handle);
  if (core::IpAddress::parse(host)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    return;
  }
  SSL_set_tlsext_host_name(handle, host.c_str());
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
}

std::string host_field(const HttpsRequest& request) {
  const bool v6 = request.host.find(':') != std::string::npos;
  auto host = v6 ? "[" + request.host + "]" : request.host;
  if (request.port != 443) host += ":" + std::to_string(request.port);
  return host;
}

// One request to one address.
asio::awaitable<std::expected<HttpsResponse, HttpsFailure>> request_from(
    ssl::context& context, const HttpsRequest& request, const core::IpAddress& address,
    std::chrono::steady_clock::duration timeout) {
  using Kind = HttpsFailure::Kind;
  const auto token = asio::as_tuple(asio::use_awaitable);
  const auto where = "https://" + host_field(request) + request.target + " at " + address.str();
  beast::ssl_stream<beast::tcp_stream> stream(co_await asio::this_coro::executor, context);
  SSL* handle = stream.native_handle();
  expect_identity(handle, request.host);
  stream.set_verify_mode(ssl::verify_peer);
  auto& tcp = beast::get_lowest_layer(stream);
  tcp.expires_after(timeout);
  auto [connect_error] =
      co_await tcp.async_connect(asio::ip::tcp::endpoint(to_asio(address), request.port), token);
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
  http::request<http::string_body> out{request.post ? http::verb::post : http::verb::get,
                                       request.target, 11};
  out.set(http::field::host, host_field(request));
  out.set(http::field::user_agent, "mxrelay");
  out.set(http::field::connection, "close");
  if (request.post) {
    out.set(http::field::content_type, request.content_type);
    out.body() = request.body;
    out.prepare_payload();
  }
  auto [write_error, written] = co_await http::async_write(stream, out, token);
  if (write_error)
    co_return std::unexpected(failure(Kind::connect, where + ": " + write_error.message()));
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(request.body_limit);
  auto [read_error, read] = co_await http::async_read(stream, buffer, parser, token);
  if (read_error == http::error::body_limit)
    co_return std::unexpected(failure(
        Kind::http, where + ": body larger than " + std::to_string(request.body_limit) + " bytes"));
  if (read_error)
    co_return std::unexpected(failure(Kind::http, where + ": " + read_error.message()));
  auto& response = parser.get();
  const auto type = response[http::field::content_type];
  co_return HttpsResponse{response.result_int(), std::string(type.data(), type.size()),
                          std::move(response.body())};
}

}  // namespace

asio::awaitable<std::expected<HttpsResponse, HttpsFailure>> https_request(
    resolver::UnboundClient& dns, HttpsRequest request, std::filesystem::path ca_file,
    std::chrono::steady_clock::duration timeout) {
  auto context = make_context(ca_file);
  if (!context) co_return std::unexpected(context.error());
  const auto addresses = co_await addresses_of(dns, request.host);
  if (addresses.empty())
    co_return std::unexpected(failure(HttpsFailure::Kind::dns, "no address for " + request.host));
  std::expected<HttpsResponse, HttpsFailure> result;
  for (const auto& address : addresses) {
    result = co_await request_from(**context, request, address, timeout);
    if (result) break;
  }
  co_return result;
}

}  // namespace mxrelay::mta
