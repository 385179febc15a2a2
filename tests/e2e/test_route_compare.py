"""e2e: `mxrelay route DOMAIN --compare`: the geo-DNS lesson. Two NSD instances on two
loopback addresses serve the same zone; the relay forwards to the first, --via asks the
second. Different MX hosts are marked and exit 3; identical records with another TTL agree
(exit 0) and only the TTL is marked as informational."""

import json
import unittest

from harness import E2eTestCase, Mxrelay, Nsd

ZONE = "geo.example"


def geo_zone(ns, mx_host, addresses, ttl=300):
    """geo.example with one MX host and its addresses."""
    lines = [
        f"$ORIGIN {ZONE}.",
        f"$TTL {ttl}",
        "@       SOA   ns1 hostmaster 1 3600 600 86400 300",
        "@       NS    ns1",
        f"ns1     A     {ns}",
        f"@       MX    10 {mx_host}",
    ]
    lines += [f"{mx_host}  A  {address}" for address in addresses]
    return "\n".join(lines) + "\n"


class RouteCompareTest(E2eTestCase):
    def start_servers(self, second_mx_host, second_addresses, second_ttl):
        self.ns_a, self.ns_b = self.block.host(53), self.block.host(54)
        europe = [self.block.host(10), self.block.host(11)]
        self.start(Nsd(self.workdir, self.ns_a, {ZONE: geo_zone(self.ns_a, "mx-eu", europe)}, port=53))
        self.start(
            Nsd(
                self.workdir,
                self.ns_b,
                {ZONE: geo_zone(self.ns_b, second_mx_host, second_addresses, second_ttl)},
                port=53,
            )
        )
        # Only the config file is needed: `route` runs without a relay.
        self.relay = Mxrelay(self.workdir, self.block, {"dns": {"forwarders": [f"{self.ns_a}@53"]}})

    def compare(self, *extra):
        return self.relay.run_command(
            "route", "-c", self.relay.config_path, ZONE, "--compare", "--via", f"{self.ns_b}@53", *extra
        )

    def test_servers_that_disagree_are_marked_and_exit_3(self):
        self.start_servers("mx-us", [self.block.host(20)], 300)

        done = self.compare()
        self.assertEqual(done.returncode, 3, done.stdout + done.stderr)
        text = done.stdout
        self.assertIn(f"[1] configured (forwarder {self.ns_a}@53)", text)
        self.assertIn(f"[2] via {self.ns_b}@53", text)
        lines = text.splitlines()
        mx_records = next(i for i, line in enumerate(lines) if line.startswith(f"  {ZONE} MX")) + 1
        self.assertTrue(lines[mx_records].startswith("!   records"), text)
        self.assertIn("10 mx-eu.geo.example", lines[mx_records])
        self.assertIn("10 mx-us.geo.example", lines[mx_records])
        self.assertRegex(text, rf"(?m)^! mx-eu\.{ZONE} A +ok rcode=0 +\(not asked\)$")
        self.assertRegex(text, rf"(?m)^! mx-us\.{ZONE} A +\(not asked\) +ok rcode=0$")
        for address in (self.block.host(10), self.block.host(11), self.block.host(20)):
            self.assertIn(address, text)
        self.assertRegex(text, r"(?m)^  verdict +deliver +deliver$")
        self.assertIn("result: the resolver paths DISAGREE", text)

        report = json.loads(self.compare("--json").stdout)
        self.assertFalse(report["agree"])
        self.assertEqual(report["exit_status"], 3)
        self.assertEqual([p["verdict"] for p in report["paths"]], ["deliver", "deliver"])
        records = next(r for r in report["rows"] if r["item"] == "  records")
        self.assertEqual(records["cells"], [["10 mx-eu.geo.example"], ["10 mx-us.geo.example"]])
        self.assertTrue(records["must_agree"] and records["differs"])

    def test_identical_records_agree_even_with_other_ttls(self):
        self.start_servers("mx-eu", [self.block.host(11), self.block.host(10)], 60)

        done = self.compare()
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        text = done.stdout
        self.assertNotRegex(text, r"(?m)^!")
        self.assertRegex(text, r"(?m)^~   ttl +300 +60$")
        self.assertIn("result: the resolver paths agree; ", text)
        # Plain `route` still works and agrees with the forwarder's view.
        route, code = self.relay.route(ZONE)
        self.assertEqual(code, 0)
        self.assertEqual(
            sorted(c["address"] for c in route["candidates"]),
            [self.block.host(10), self.block.host(11)],
        )

    def test_unusable_via_is_a_usage_error(self):
        self.relay = Mxrelay(self.workdir, self.block)
        done = self.relay.run_command(
            "route", "-c", self.relay.config_path, ZONE, "--via", "ns.example.net"
        )
        self.assertEqual(done.returncode, 2)
        self.assertIn("--via ns.example.net: not an IPv4 or IPv6 address", done.stderr)


if __name__ == "__main__":
    unittest.main()
