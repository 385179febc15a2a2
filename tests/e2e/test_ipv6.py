"""e2e: IPv6 on both sides. The relay listens on the IPv4 and the IPv6 wildcard with one
port ("0.0.0.0:P" and "[::]:P" do not collide: IPv6 listeners are IPv6-only), relays for
::1/128 from server.relay_networks, and delivers to an MX host's AAAA address (prefer-ipv6)
or its A address (ipv4), as delivery.ip_version says."""

import unittest

from harness import E2eTestCase, Mxrelay, Nsd, SmtpSink, free_port, render_zone, send_smtplib

SENDER = "sender@client.example"
RECIPIENT = "user@ipv6.example"


class Ipv6Test(E2eTestCase):
    def start_relay(self, ip_version):
        ns = self.block.host(53)
        v4_sink = self.block.host(10)
        port = free_port("::1")
        self.sink6 = self.start(SmtpSink(self.workdir, "v6", "::1", port))
        self.sink4 = self.start(SmtpSink(self.workdir, "v4", v4_sink, port))
        nsd = self.start(
            Nsd(self.workdir, ns, {"ipv6.example": render_zone("ipv6.example", NS=ns, V4=v4_sink)})
        )
        relay = Mxrelay(
            self.workdir,
            self.block,
            {
                "dns": {"stub": nsd.stubs()},
                "delivery": {"port": port, "ip_version": ip_version},
            },
        )
        server = relay.config["server"]
        server["listen"] = [f"0.0.0.0:{relay.port}", f"[::]:{relay.port}"]
        server["relay_networks"] = ["127.0.0.0/8", "::1/128"]
        relay.write_config()
        return self.start(relay)

    def test_ipv6_client_relays_and_ipv6_next_hop_is_preferred(self):
        relay = self.start_relay("prefer-ipv6")
        send_smtplib(("::1", relay.port), SENDER, RECIPIENT, subject="over IPv6")
        accepted = relay.wait_for_log(event="accepted")
        self.assertEqual(accepted["client"], "[::1]")
        (message,) = self.sink6.wait_for_messages(1)
        self.assertIn("Subject: over IPv6", message["data"])
        delivery = relay.wait_for_log(event="delivery", status="sent")
        self.assertEqual(delivery["relay"], f"mx.ipv6.example[::1]:{self.sink6.port}")
        self.assertEqual(self.sink4.messages(), [])

    def test_ipv4_only_delivery_uses_the_a_record(self):
        relay = self.start_relay("ipv4")
        send_smtplib(relay.smtp_server, SENDER, RECIPIENT, subject="over IPv4")
        (message,) = self.sink4.wait_for_messages(1)
        self.assertIn("Subject: over IPv4", message["data"])
        self.assertEqual(self.sink6.messages(), [])


if __name__ == "__main__":
    unittest.main()
