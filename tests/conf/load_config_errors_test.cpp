// Golden tests for configuration errors: each kind of problem, its text, line and column,
// and several problems collected in one pass.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "conf/load_config.hpp"
#include "golden_errors.hpp"

namespace mxrelay::conf {
namespace {

TEST(ConfigErrors, TomlSyntax) {
  check({
      {"duplicate key",
       "[delivery]\nport = 25\nport = 26\n",
       {"t.toml:3:8: Error while parsing key-value pair: cannot redefine existing integer 'port'"}},
      {"unterminated string",
       "[queue]\ndir = \"var\n",
       {"t.toml:2:11: Error while parsing string: unescaped control characters other than TAB "
        "(U+0009) are explicitly prohibited"}},
  });
}

// An error quotes the file name and the value it is about; neither may break the message
// over two lines or put raw control characters on the operator's terminal.
TEST(ConfigErrors, ControlCharactersAreEscaped) {
  auto loaded = parse_config("[queue]\npostmaster = \"pm\\u001b[2J\\nx\"\n", "conf\nig.toml");
  ASSERT_FALSE(loaded);
  ASSERT_EQ(loaded.error().size(), 1u);
  EXPECT_EQ(loaded.error().front().str(),
            "conf\\x0aig.toml:2:14: queue.postmaster: invalid address \"pm\\x1b[2J\\x0ax\" (use "
            "local@domain, or \"\" to drop failed DSNs)");
}

TEST(ConfigErrors, UnknownKeysAndTables) {
  check({
      {"unknown table", "[routing]\n\"a.example\" = {}\n", {"t.toml:1:2: routing: unknown table"}},
      {"unknown top-level key", "port = 25\n", {"t.toml:1:1: port: unknown key"}},
      {"unknown key in section",
       "[server]\nlisten_on = []\n",
       {"t.toml:2:1: server.listen_on: unknown key"}},
      {"unknown key in stub",
       "[[dns.stub]]\nzone = \"a.example\"\nservers = [\"127.0.0.1\"]\nport = 53\n",
       {"t.toml:4:1: dns.stub.port: unknown key"}},
      {"unknown subtable",
       "[delivery.retry]\nmode = \"may\"\n",
       {"t.toml:1:11: delivery.retry: unknown table"}},
  });
}

TEST(ConfigErrors, WrongTypes) {
  check({
      {"section not a table",
       "server = 1\n",
       {"t.toml:1:10: server: expected a table, got an integer"}},
      {"string expected",
       "[queue]\ndir = 5\n",
       {"t.toml:2:7: queue.dir: expected a string, got an integer"}},
      {"integer expected",
       "[server]\nmax_recipients = \"10\"\n",
       {"t.toml:2:18: server.max_recipients: expected an integer, got a string"}},
      {"boolean expected",
       "[dns]\ndnssec = \"yes\"\n",
       {"t.toml:2:10: dns.dnssec: expected a boolean, got a string"}},
      {"array expected",
       "[server]\nlisten = \"127.0.0.1:25\"\n",
       {"t.toml:2:10: server.listen: expected an array of strings, got a string"}},
      {"array element",
       "[server]\nlisten = [\"127.0.0.1:25\", 26]\n",
       {"t.toml:2:27: server.listen: expected a string, got an integer"}},
      {"float for a size",
       "[server]\nmax_message_size = 1.5\n",
       {"t.toml:2:20: server.max_message_size: expected an integer or a size string, got a float"}},
      {"stub not an array of tables",
       "[dns.stub]\nzone = \"a.example\"\n",
       {"t.toml:1:1: dns.stub: expected an array of tables, got a table"}},
      {"unbound option value",
       "[dns.unbound_options]\n\"edns-buffer-size\" = 1232\n",
       {"t.toml:2:22: dns.unbound_options.edns-buffer-size: expected a string, got an integer"}},
  });
}

TEST(ConfigErrors, BadValues) {
  check({
      {"duration",
       "[queue]\nmax_age = \"5 days\"\n",
       {"t.toml:2:11: queue.max_age: invalid duration \"5 days\" (use a number and one of s, m, h, "
        "d)"}},
      {"zero duration",
       "[delivery]\nconnect_timeout = \"0s\"\n",
       {"t.toml:2:19: delivery.connect_timeout: duration must be greater than zero"}},
      {"too long duration",
       "[queue]\nmax_age = \"3651d\"\n",
       {"t.toml:2:11: queue.max_age: duration \"3651d\" is too long (at most 3650d)"}},
      {"duration in a list",
       "[queue]\nretry_intervals = [\"5m\", \"1 hour\"]\n",
       {"t.toml:2:26: queue.retry_intervals: invalid duration \"1 hour\" (use a number and one of "
        "s, m, h, d)"}},
      {"size",
       "[server]\nmax_message_size = \"50 MB\"\n",
       {"t.toml:2:20: server.max_message_size: invalid size \"50 MB\" (use a number of bytes, or a "
        "number and one of B, KB, MB, GB, KiB, MiB, GiB)"}},
      {"zero size",
       "[server]\nmax_message_size = 0\n",
       {"t.toml:2:20: server.max_message_size: size must be greater than zero"}},
      {"listen endpoint",
       "[server]\nlisten = [\"localhost:25\"]\n",
       {"t.toml:2:11: server.listen: invalid endpoint \"localhost:25\" (use IPv4:port or "
        "[IPv6]:port)"}},
      {"duplicate listen endpoint",
       "[server]\nlisten = [\"127.0.0.1:25\", \"127.0.0.1:25\"]\n",
       {"t.toml:2:27: server.listen: \"127.0.0.1:25\" is listed twice"}},
      {"network",
       "[server]\nrelay_networks = [\"10.0.0.0/33\"]\n",
       {"t.toml:2:19: server.relay_networks: invalid network \"10.0.0.0/33\" (use an IP address or "
        "address/prefix)"}},
      {"host name",
       "[server]\nhostname = \"relay_01!.example\"\n",
       {"t.toml:2:12: server.hostname: invalid host name \"relay_01!.example\" (use dot-separated "
        "labels of letters, digits and hyphens)"}},
      {"empty host name",
       "[server]\nhostname = \"\"\n",
       {"t.toml:2:12: server.hostname: invalid host name \"\" (use dot-separated labels of "
        "letters, digits and hyphens)"}},
      {"helo name",
       "[delivery]\nhelo_name = \"-bad\"\n",
       {"t.toml:2:13: delivery.helo_name: invalid host name \"-bad\" (use dot-separated labels of "
        "letters, digits and hyphens)"}},
      {"forwarder",
       "[dns]\nforwarders = [\"127.0.0.1:53\"]\n",
       {"t.toml:2:15: dns.forwarders: invalid DNS server \"127.0.0.1:53\" (use an IP address with "
        "an optional @port)"}},
      {"mx_required name",
       "[dns]\nmx_required = [\"gmail.com\", \"bad name\"]\n",
       {"t.toml:2:29: dns.mx_required: invalid host name \"bad name\" (use dot-separated labels of "
        "letters, digits and hyphens)"}},
      {"ip_version",
       "[delivery]\nip_version = \"v4\"\n",
       {"t.toml:2:14: delivery.ip_version: invalid value \"v4\" (use any, ipv4, ipv6, prefer-ipv4 "
        "or prefer-ipv6)"}},
      {"metrics listen",
       "[metrics]\nlisten = \"9464\"\n",
       {"t.toml:2:10: metrics.listen: invalid endpoint \"9464\" (use IPv4:port or [IPv6]:port, or "
        "\"\" to disable)"}},
      {"empty queue dir", "[queue]\ndir = \"\"\n", {"t.toml:2:7: queue.dir: must not be empty"}},
      {"empty trust anchor with dnssec",
       "[dns]\ntrust_anchor_file = \"\"\n",
       {"t.toml:2:21: dns.trust_anchor_file: must not be empty when dns.dnssec is true"}},
      {"unbound option name",
       "[dns.unbound_options]\n\"edns-buffer-size:\" = \"1232\"\n",
       {"t.toml:2:1: dns.unbound_options.\"edns-buffer-size:\": invalid unbound option name (use "
        "lower-case letters, digits and hyphens)"}},
      {"control characters are escaped",
       "[queue]\nmax_age = \"5\\td\"\n",
       {"t.toml:2:11: queue.max_age: invalid duration \"5\\x09d\" (use a number and one of s, m, "
        "h, d)"}},
  });
}

TEST(ConfigErrors, IntegersOutOfRange) {
  check({
      {"port zero",
       "[delivery]\nport = 0\n",
       {"t.toml:2:8: delivery.port: 0 is out of range (1..65535)"}},
      {"port too large",
       "[delivery]\nport = 65536\n",
       {"t.toml:2:8: delivery.port: 65536 is out of range (1..65535)"}},
      {"max_addresses",
       "[delivery]\nmax_addresses = 0\n",
       {"t.toml:2:17: delivery.max_addresses: 0 is out of range (1..4294967295)"}},
      {"max_addresses too large",
       "[delivery]\nmax_addresses = 4294967296\n",
       {"t.toml:2:17: delivery.max_addresses: 4294967296 is out of range (1..4294967295)"}},
      {"negative max_recipients",
       "[server]\nmax_recipients = -1\n",
       {"t.toml:2:18: server.max_recipients: -1 is out of range (at least 1)"}},
  });
}

TEST(ConfigErrors, EmptyRequiredLists) {
  check({
      {"listen", "[server]\nlisten = []\n", {"t.toml:2:10: server.listen: must not be empty"}},
      {"relay_networks",
       "[server]\nrelay_networks = []\n",
       {"t.toml:2:18: server.relay_networks: must not be empty"}},
      {"retry_intervals",
       "[queue]\nretry_intervals = []\n",
       {"t.toml:2:19: queue.retry_intervals: must not be empty"}},
      {"stub servers",
       "[[dns.stub]]\nzone = \"a.example\"\nservers = []\n",
       {"t.toml:3:11: dns.stub.servers: must not be empty"}},
  });
}

TEST(ConfigErrors, StubZones) {
  check({
      {"missing keys",
       "[[dns.stub]]\n",
       {"t.toml:1:1: dns.stub.zone: required key is missing",
        "t.toml:1:1: dns.stub.servers: required key is missing"}},
      {"duplicate zone",
       "[[dns.stub]]\nzone = \"a.example\"\nservers = [\"127.0.0.1\"]\n"
       "[[dns.stub]]\nzone = \"A.example.\"\nservers = [\"127.0.0.2\"]\n",
       {"t.toml:5:8: dns.stub.zone: \"a.example\" is already defined at line 1"}},
      {"bad server",
       "[[dns.stub]]\nzone = \"a.example\"\nservers = [\"ns1.a.example\"]\n",
       {"t.toml:3:12: dns.stub.servers: invalid DNS server \"ns1.a.example\" (use an IP address "
        "with an optional @port)"}},
  });
}

TEST(ConfigErrors, AllProblemsCollectedInFileOrder) {
  const char* toml =
      "[server]\n"                                   // 1
      "listen = [\"127.0.0.1\"]\n"                   // 2
      "max_recipients = 0\n"                         // 3
      "colour = \"blue\"\n"                          // 4
      "[queue]\n"                                    // 5
      "max_age = \"5 days\"\n"                       // 6
      "retry_intervals = [\"5m\", \"0\", \"1w\"]\n"  // 7
      "[delivery]\n"                                 // 8
      "port = 70000\n"                               // 9
      "ip_version = 6\n";                            // 10
  EXPECT_EQ(errors_of(toml),
            (std::vector<std::string>{
                "t.toml:2:11: server.listen: invalid endpoint \"127.0.0.1\" (use IPv4:port or "
                "[IPv6]:port)",
                "t.toml:3:18: server.max_recipients: 0 is out of range (at least 1)",
                "t.toml:4:1: server.colour: unknown key",
                "t.toml:6:11: queue.max_age: invalid duration \"5 days\" (use a number and one of "
                "s, m, h, d)",
                "t.toml:7:26: queue.retry_intervals: duration must be greater than zero",
                "t.toml:7:31: queue.retry_intervals: invalid duration \"1w\" (use a number and one "
                "of s, m, h, d)",
                "t.toml:9:8: delivery.port: 70000 is out of range (1..65535)",
                "t.toml:10:14: delivery.ip_version: expected a string, got an integer",
            }));
}

TEST(ConfigErrors, ErrorsCarryFileLineAndColumn) {
  auto config = parse_config("\n\n[queue]\n  max_age = \"x\"\n", "dir/relay.toml");
  ASSERT_FALSE(config);
  ASSERT_EQ(config.error().size(), 1u);
  EXPECT_EQ(config.error()[0].file, "dir/relay.toml");
  EXPECT_EQ(config.error()[0].line, 4);
  EXPECT_EQ(config.error()[0].column, 13);
}

}  // namespace
}  // namespace mxrelay::conf
