// mta/mta_sts: fetching MTA-STS policies over HTTPS (see policy_fetcher.hpp).
#include "mta/mta_sts/policy_fetcher.hpp"

#include "core/ascii_case.hpp"

namespace mxrelay::mta::sts {

namespace {

constexpr std::string_view kPolicyPath = "/.well-known/mta-sts.txt";

// "text/plain; charset=utf-8" -> true
bool is_text_plain(std::string_view content_type) {
  const auto media = content_type.substr(0, content_type.find(';'));
  auto end = media.find_last_not_of(" \t");
  return core::equals_ignoring_case(media.substr(0, end == std::string_view::npos ? 0 : end + 1),
                                    "text/plain");
}

}  // namespace

boost::asio::awaitable<std::expected<std::string, FetchFailure>> fetch_policy_body(
    resolver::UnboundClient& dns, std::string host, std::filesystem::path ca_file,
    std::chrono::steady_clock::duration timeout) {
  using Kind = FetchFailure::Kind;
  HttpsRequest request;
  request.host = host;
  request.target = std::string(kPolicyPath);
  request.body_limit = kMaxPolicyBytes;
  auto response = co_await https_request(dns, std::move(request), std::move(ca_file), timeout);
  if (!response) co_return std::unexpected(std::move(response.error()));
  const auto where = "https://" + host + std::string(kPolicyPath);
  const auto status = response->status;
  if (status >= 300 && status < 400)
    co_return std::unexpected(FetchFailure{
        Kind::http, where + ": redirect (HTTP " + std::to_string(status) + ") not followed"});
  if (status != 200)
    co_return std::unexpected(FetchFailure{Kind::http, where + ": HTTP " + std::to_string(status)});
  if (!is_text_plain(response->content_type))
    co_return std::unexpected(FetchFailure{
        Kind::http, where + ": media type is not text/plain: " + response->content_type});
  co_return std::move(response->body);
}

}  // namespace mxrelay::mta::sts
