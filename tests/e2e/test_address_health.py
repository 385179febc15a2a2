"""e2e: per-address health on the 60-address RRset of the outlook.com incident. One of the
60 addresses always answers 421 at the greeting (its own sink); mail keeps flowing through
the other 59, the broken address is skipped once its circuit breaker opens, and both
`mxrelay route` and the mxrelay_unhealthy_addresses gauge show it."""

import unittest

from harness import (E2eTestCase, Mxrelay, Nsd, SmtpSink, free_port, render_zone,
                     send_numbered, wait_until)

RECIPIENT = "user@outlook.com"
SENDER = "sender@client.example"
BROKEN_REPLY = "421 4.3.2 Service not available, closing transmission channel"
BATCH = 20
# Each attempt starts at a random address of the 60: about 60 messages reach the broken one
# once on average; this many make missing it vanishingly unlikely.
MAX_MESSAGES_TO_FIND_IT = 800


class AddressHealthTest(E2eTestCase):
    def setUp(self):
        super().setUp()
        ns = self.block.host(53)
        zone = render_zone("outlook.com", NS=ns, NET=self.block.prefix)
        self.nsd = self.start(Nsd(self.workdir, ns, {"outlook.com": zone}, edns_size=512))
        addresses = self.block.hosts(100, 159)
        self.broken_address = addresses[17]
        self.port = free_port(addresses[0])
        good = [a for a in addresses if a != self.broken_address]
        self.sink = self.start(SmtpSink(self.workdir, "good", good, self.port))
        self.broken = self.start(
            SmtpSink(self.workdir, "broken", self.broken_address, self.port,
                     {"greeting": BROKEN_REPLY})
        )
        delivery = {
            "port": self.port,
            # A new connection (and a fresh choice of address) for every message.
            "max_messages_per_connection": 1,
            "health_failure_threshold": 1,
            "health_cool_down": "10m",
        }
        self.relay = self.start(
            Mxrelay(self.workdir, self.block,
                    {"dns": {"stub": self.nsd.stubs()}, "delivery": delivery})
        )
        self.sent = 0

    def send(self, count):
        send_numbered(self.relay.smtp_server, SENDER, RECIPIENT, self.sent, count, "health")
        self.sent += count
        return self.sink.wait_for_messages(self.sent, timeout=60)

    def test_broken_address_is_skipped_and_shown(self):
        while not self.broken.connections() and self.sent < MAX_MESSAGES_TO_FIND_IT:
            self.send(BATCH)
        self.assertTrue(self.broken.connections(), "no attempt ever chose the broken address")
        self.relay.wait_for_sample("mxrelay_unhealthy_addresses", 1, destination="mx")
        # Every message so far went through the good addresses, none was lost or bounced.
        self.assertEqual(len(self.sink.messages()), self.sent)
        self.assertTrue(all(m["local"][0] != self.broken_address for m in self.sink.messages()))

        # The breaker is open: 20 more messages all flow, none touches the broken address.
        attempts_before = len(self.broken.connections())
        self.send(BATCH)
        self.assertEqual(len(self.broken.connections()), attempts_before)
        self.assertEqual(self.relay.metric("mxrelay_unhealthy_addresses", destination="mx"), 1)

        text, code = self.relay.route("outlook.com", json_output=False)
        self.assertEqual(code, 0, text)
        section = text.split("skipped addresses", 1)[1]
        self.assertIn(self.broken_address, section)
        self.assertIn("breaker open", section)
        self.assertIn("421", section)
        self.assertEqual(section.count("destination outlook.com"), 1, section)

    def test_route_says_none_skipped_when_all_are_healthy(self):
        self.send(1)
        text, code = self.relay.route("outlook.com", json_output=False)
        self.assertEqual(code, 0, text)
        self.assertRegex(text, r"skipped addresses[^\n]*:\n  none\n")
        wait_until(lambda: self.relay.metric("mxrelay_unhealthy_addresses", destination="mx") == 0,
                   5, "no unhealthy addresses")


if __name__ == "__main__":
    unittest.main()
