// conf: parse_resolver_server and ResolverServer::str().
#include "resolver_server.hpp"

#include "port.hpp"

namespace mxrelay::conf {

std::optional<ResolverServer> parse_resolver_server(std::string_view text) {
  auto at = text.find('@');
  auto address = core::IpAddress::parse(text.substr(0, at));
  if (!address) return std::nullopt;
  if (at == std::string_view::npos) return ResolverServer{*address, std::nullopt};
  auto port = parse_port(text.substr(at + 1));
  if (!port || *port == 0) return std::nullopt;
  return ResolverServer{*address, *port};
}

std::string ResolverServer::str() const {
  auto text = address.str();
  if (port) text += "@" + std::to_string(*port);
  return text;
}

}  // namespace mxrelay::conf
