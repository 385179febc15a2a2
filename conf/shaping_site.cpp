// conf: the built-in shaping sites (the README's "Traffic shaping" says why each value).
#include "shaping_site.hpp"

namespace mxrelay::conf {

const char* to_string(ThrottleAction action) {
  switch (action) {
    case ThrottleAction::suspend:
      return "suspend";
    case ThrottleAction::halve_rate:
      return "halve_rate";
    case ThrottleAction::halve_connections:
      return "halve_connections";
  }
  return "suspend";
}

namespace {

ThrottleRule rule(std::string code, std::vector<std::string> text, ThrottleAction action,
                  std::chrono::seconds duration) {
  ThrottleRule out;
  out.code = std::move(code);
  out.text = std::move(text);
  out.action = action;
  out.duration = duration;
  return out;
}

ShapingSite site(std::string name, std::vector<std::string> suffixes, std::size_t connections,
                 std::size_t per_connection, std::vector<ThrottleRule> rules) {
  ShapingSite out;
  out.site = std::move(name);
  out.mx_suffixes = std::move(suffixes);
  out.max_connections = connections;
  out.max_messages_per_connection = per_connection;
  out.on_reply = std::move(rules);
  out.where = "built-in";
  return out;
}

}  // namespace

std::vector<ShapingSite> default_shaping_sites() {
  using std::chrono::minutes;
  constexpr auto suspend = ThrottleAction::suspend;
  constexpr auto halve_rate = ThrottleAction::halve_rate;
  constexpr auto halve_connections = ThrottleAction::halve_connections;
  std::vector<ShapingSite> out;
  out.push_back(
      site("microsoft",
           {".olc.protection.outlook.com", ".mail.protection.outlook.com", ".mx.microsoft"}, 10, 50,
           {rule("4.7.650", {}, suspend, minutes(15)), rule("4.7.500", {}, halve_rate, minutes(10)),
            rule("", {"too many connections"}, halve_connections, minutes(10))}));
  out.push_back(site("google", {".google.com", ".googlemail.com"}, 20, 100,
                     {rule("4.7.28", {}, suspend, minutes(15)),
                      rule("", {"rate limit", "rate that prevents"}, halve_rate, minutes(10)),
                      rule("", {"too many connections"}, halve_connections, minutes(10))}));
  out.push_back(site("yahoo", {".yahoodns.net"}, 10, 20,
                     {rule("", {"[TSS04]", "[TS01]"}, suspend, minutes(15)),
                      rule("", {"too many connections"}, halve_connections, minutes(10))}));
  return out;
}

}  // namespace mxrelay::conf
