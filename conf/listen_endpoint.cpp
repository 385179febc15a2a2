// conf: parse_listen_endpoint and ListenEndpoint::str().
#include "listen_endpoint.hpp"

#include "port.hpp"

namespace mxrelay::conf {

std::optional<ListenEndpoint> parse_listen_endpoint(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto host = text.substr(0, colon);
  auto port = parse_port(text.substr(colon + 1));
  bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  auto address = core::IpAddress::parse(host);
  if (!port || !address || address->is_v6() != bracketed) return std::nullopt;
  return ListenEndpoint{*address, *port};
}

std::string ListenEndpoint::str() const {
  auto host = address.str();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(port);
}

}  // namespace mxrelay::conf
