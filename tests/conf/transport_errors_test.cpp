// Golden tests for the errors of the transport map, the auth tables and the other keys
// added with them: text, line and column of each message.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "conf/load_config.hpp"
#include "golden_errors.hpp"

namespace mxrelay::conf {
namespace {

TEST(TransportErrors, Keys) {
  check({
      {"star prefix",
       "[transport]\n\"*.example.com\" = {}\n",
       {"t.toml:2:1: transport.\"*.example.com\": invalid key (use \".example.com\" for "
        "subdomains, \"*\" alone for the default)"}},
      {"not a domain",
       "[transport]\n\"exa mple.com\" = {}\n",
       {"t.toml:2:1: transport.\"exa mple.com\": invalid key (use \"domain\", \".domain\" for "
        "its subdomains, or \"*\")"}},
      {"bad internationalised name",
       "[transport]\n\"-bücher.example\" = {}\n",
       {"t.toml:2:1: transport.\"-bücher.example\": invalid domain: string start/ends with "
        "forbidden hyphen"}},
      {"entry not a table",
       "[transport]\n\"a.example\" = \"mail.example.net\"\n",
       {"t.toml:2:15: transport.\"a.example\": expected a table, got a string"}},
      {"transport not a table",
       "transport = 1\n",
       {"t.toml:1:13: transport: expected a table, got an integer"}},
      {"same domain in other case",
       "[transport]\n\"Example.com\" = {}\n\"example.com.\" = {}\n",
       {"t.toml:3:1: transport.\"example.com.\": already defined as \"Example.com\" at "
        "t.toml:2:1"}},
      {"same domain as U-label and A-label",
       "[transport]\n\"xn--bcher-kva.example\" = {}\n\"bücher.example\" = {}\n",
       {"t.toml:3:1: transport.\"bücher.example\": already defined as "
        "\"xn--bcher-kva.example\" at t.toml:2:1"}},
      {"table form and inline form",
       "[transport]\n\"a.example\" = {}\n[transport.\"A.example\"]\nhost = \"x.example\"\n",
       {"t.toml:3:12: transport.\"A.example\": already defined as \"a.example\" at "
        "t.toml:2:1"}},
  });
}

TEST(TransportErrors, EntryValues) {
  check({
      {"unknown key",
       "[transport]\n\"a.example\" = { hots = \"x.example\" }\n",
       {"t.toml:2:17: transport.\"a.example\".hots: unknown key"}},
      {"mx and host",
       "[transport]\n\"a.example\" = { mx = \"m.example\", host = \"h.example\" }\n",
       {"t.toml:2:42: transport.\"a.example\".host: cannot be combined with mx (mx resolves "
        "the MX of a name, host names the next hop itself)"}},
      {"mx is an address",
       "[transport]\n\"a.example\" = { mx = \"192.0.2.1\" }\n",
       {"t.toml:2:22: transport.\"a.example\".mx: needs a domain name, not an address (use "
        "host = \"192.0.2.1\")"}},
      {"mx invalid",
       "[transport]\n\"a.example\" = { mx = \"m..example\" }\n",
       {"t.toml:2:22: transport.\"a.example\".mx: invalid domain \"m..example\" (use "
        "dot-separated labels of letters, digits and hyphens)"}},
      {"host invalid",
       "[transport]\n\"a.example\" = { host = \"2001:db8::1\" }\n",
       {"t.toml:2:24: transport.\"a.example\".host: invalid host \"2001:db8::1\" (IPv6 "
        "addresses need brackets)"}},
      {"port twice",
       "[transport]\n\"a.example\" = { host = \"h.example:2525\", port = 25 }\n",
       {"t.toml:2:49: transport.\"a.example\".port: host already gives port 2525; keep only "
        "one"}},
      {"port out of range",
       "[transport]\n\"a.example\" = { port = 0 }\n",
       {"t.toml:2:24: transport.\"a.example\".port: 0 is out of range (1..65535)"}},
      {"port wrong type",
       "[transport]\n\"a.example\" = { port = \"25\" }\n",
       {"t.toml:2:24: transport.\"a.example\".port: expected an integer, got a string"}},
      {"tls unknown",
       "[transport]\n\"a.example\" = { tls = \"strict\" }\n",
       {"t.toml:2:23: transport.\"a.example\".tls: invalid value \"strict\" (use none, may, "
        "encrypt, verify, dane or dane-only)"}},
      {"max_connections zero",
       "[transport]\n\"a.example\" = { max_connections = 0 }\n",
       {"t.toml:2:35: transport.\"a.example\".max_connections: 0 is out of range "
        "(1..10000)"}},
      {"action unknown",
       "[transport]\n\"a.example\" = { action = \"drop\" }\n",
       {"t.toml:2:26: transport.\"a.example\".action: invalid value \"drop\" (use deliver, "
        "defer, hold or reject)"}},
      {"reason without action",
       "[transport]\n\"a.example\" = { reason = \"closed\" }\n",
       {"t.toml:2:26: transport.\"a.example\".reason: needs action defer, hold or reject"}},
      {"reason with a control character",
       "[transport]\n\"a.example\" = { action = \"reject\", reason = \"a\\r\\nMAIL\" }\n",
       {"t.toml:2:45: transport.\"a.example\".reason: must be 1 to 200 printable ASCII "
        "characters"}},
      {"empty reason",
       "[transport]\n\"a.example\" = { action = \"hold\", reason = \"\" }\n",
       {"t.toml:2:43: transport.\"a.example\".reason: must be 1 to 200 printable ASCII "
        "characters"}},
      {"auth table missing",
       "[transport]\n\"a.example\" = { host = \"h.example\", auth = \"relay\" }\n",
       {"t.toml:2:44: transport.\"a.example\".auth: unknown auth table \"relay\" (define "
        "[auth.relay])"}},
      {"implicit TLS with opportunistic TLS",
       "[transport]\n\"a.example\" = { host = \"h.example\", tls = \"may\", implicit_tls = true "
       "}\n",
       {"t.toml:2:65: transport.\"a.example\".implicit_tls: needs tls = \"encrypt\" or "
        "\"verify\" (this entry has tls = \"may\")"}},
      {"implicit TLS with DANE",
       "[transport]\n\"a.example\" = { tls = \"dane\", implicit_tls = true }\n",
       {"t.toml:2:46: transport.\"a.example\".implicit_tls: needs tls = \"encrypt\" or "
        "\"verify\" (this entry has tls = \"dane\")"}},
      {"implicit TLS not a boolean",
       "[transport]\n\"a.example\" = { host = \"h.example\", implicit_tls = \"yes\" }\n",
       {"t.toml:2:52: transport.\"a.example\".implicit_tls: expected a boolean, got a string"}},
  });
}

TEST(TransportErrors, TransportFileKey) {
  check({
      {"empty", "transport_file = \"\"\n", {"t.toml:1:18: transport_file: must not be empty"}},
      {"missing file",
       "transport_file = \"no-such-transport.toml\"\n",
       {"t.toml:1:18: transport_file: cannot read \"no-such-transport.toml\": No such file or "
        "directory"}},
      {"wrong type",
       "transport_file = [\"a.toml\"]\n",
       {"t.toml:1:18: transport_file: expected a string, got an array"}},
      // A device or a directory is refused at once: reading /dev/zero would fill memory.
      {"device",
       "transport_file = \"/dev/zero\"\n",
       {"t.toml:1:18: transport_file: cannot read \"/dev/zero\": not a regular file"}},
      {"directory",
       "transport_file = \"/\"\n",
       {"t.toml:1:18: transport_file: cannot read \"/\": not a regular file"}},
  });
}

// A FIFO named as the transport file is refused without waiting for a writer.
TEST(TransportErrors, FifoTransportFileDoesNotBlock) {
  const auto fifo = std::filesystem::temp_directory_path() /
                    ("mxrelay-transport-fifo-" + std::to_string(::getpid()));
  std::filesystem::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto loaded = parse_config("transport_file = \"" + fifo.string() + "\"\n", "t.toml");
  std::filesystem::remove(fifo);
  ASSERT_FALSE(loaded);
  ASSERT_EQ(loaded.error().size(), 1u);
  EXPECT_EQ(loaded.error().front().str(), "t.toml:1:18: transport_file: cannot read \"" +
                                              fifo.string() + "\": not a regular file");
}

TEST(TransportErrors, AuthTables) {
  check({
      {"keys missing",
       "[auth.relay]\n",
       {"t.toml:1:1: auth.relay.username: required key is missing",
        "t.toml:1:1: auth.relay.password_file: required key is missing"}},
      {"unknown key",
       "[auth.relay]\nusername = \"u\"\npassword_file = \"/dev/null\"\npassword = \"x\"\n",
       {"t.toml:3:17: auth.relay.password_file: /dev/null is not a regular file",
        "t.toml:4:1: auth.relay.password: unknown key"}},
      {"not a table",
       "[auth]\nrelay = \"x\"\n",
       {"t.toml:2:9: auth.relay: expected a table, got a string"}},
      {"empty username",
       "[auth.relay]\nusername = \"\"\npassword_file = \"/dev/null\"\n",
       {"t.toml:2:12: auth.relay.username: must not be empty",
        "t.toml:3:17: auth.relay.password_file: /dev/null is not a regular file"}},
      {"missing password file",
       "[auth.relay]\nusername = \"u\"\npassword_file = \"no-such.pw\"\n",
       {"t.toml:3:17: auth.relay.password_file: cannot read no-such.pw: No such file or "
        "directory"}},
      {"an auth table with errors is still known to transport entries",
       "[auth.relay]\nusername = \"u\"\npassword_file = \"\"\n"
       "[transport]\n\"a.example\" = { auth = \"relay\" }\n",
       {"t.toml:3:17: auth.relay.password_file: must not be empty"}},
  });
}

TEST(TransportErrors, NewServerAndDeliveryKeys) {
  check({
      {"max_hops zero",
       "[server]\nmax_hops = 0\n",
       {"t.toml:2:12: server.max_hops: 0 is out of range (1..500)"}},
      {"max_hops too large",
       "[server]\nmax_hops = 501\n",
       {"t.toml:2:12: server.max_hops: 501 is out of range (1..500)"}},
      {"delivery tls unknown",
       "[delivery]\ntls = \"dane_only\"\n",
       {"t.toml:2:7: delivery.tls: invalid value \"dane_only\" (use none, may, encrypt, "
        "verify, dane or dane-only)"}},
  });
}

}  // namespace
}  // namespace mxrelay::conf
