"""e2e: outsiders cannot lock out the relay's own clients. Connections from outside
server.relay_networks are counted together against server.max_connections_untrusted, so
once they hold their share a Domino-like client inside relay_networks still connects; and
an outsider that authenticates gives its share back. An outside client that talks before
the greeting (pregreet) is dropped with 554 5.5.1. Both refusals are counted in
mxrelay_inbound_connections_refused_total by reason."""

import smtplib
import unittest

from harness import (
    E2eTestCase, Mxrelay, RawSmtp, SmtpSink, free_port, self_signed_certificate,
    transport_table, write_credentials,
)

USER, PASSWORD = "exchange", "correct horse"


class ConnectionSlotsTest(E2eTestCase):
    def setUp(self):
        super().setUp()
        self.inside, self.outside = self.block.host(9), self.block.host(2)
        address = self.block.host(10)
        self.sink = self.start(SmtpSink(self.workdir, "sink", address, free_port(address)))
        cert, key = self_signed_certificate(self.workdir / "tls", "relay.mxrelay.example")
        credentials = write_credentials(self.workdir / "credentials", USER, PASSWORD)
        server = {"relay_networks": [f"{self.inside}/32"], "max_connections": 4,
                  "max_connections_untrusted": 2, "pregreet_wait": "1s",
                  "tls_cert_file": str(cert), "tls_key_file": str(key),
                  "credentials_file": str(credentials)}
        route = transport_table({"*": {"host": f"[{address}]:{self.sink.port}"}})
        self.relay = self.start(Mxrelay(self.workdir, self.block, {"server": server},
                                        extra_toml=route))

    def connect(self, source):
        client = RawSmtp(self.relay.smtp_server, source_address=source)
        self.addCleanup(client.close)
        return client, client.reply()

    def test_outsiders_fill_only_their_share(self):
        for _ in range(2):
            _, (code, text) = self.connect(self.outside)
            self.assertEqual(code, 220, text)
        _, (code, text) = self.connect(self.outside)
        self.assertEqual(code, 421, text)
        self.assertTrue(text.startswith("4.7.0"), text)
        self.relay.wait_for_sample("mxrelay_inbound_connections_refused_total", 1,
                                   reason="too_many_untrusted")
        # The relay's own clients get the slots kept for them.
        for _ in range(2):
            client, (code, text) = self.connect(self.inside)
            self.assertEqual(code, 220, text)
        self.assertEqual(client.command("EHLO domino.example")[0], 250)
        _, (code, _) = self.connect(self.inside)
        self.assertEqual(code, 421)  # max_connections itself still holds
        self.relay.wait_for_sample("mxrelay_inbound_connections_refused_total", 1,
                                   reason="too_many_connections")

    def test_an_authenticated_outsider_gives_its_slot_back(self):
        _, (code, _) = self.connect(self.outside)
        self.assertEqual(code, 220)
        with smtplib.SMTP(*self.relay.smtp_server, timeout=15,
                          source_address=(self.outside, 0)) as smtp:
            smtp.starttls()
            smtp.ehlo("exchange.example")
            _, (code, _) = self.connect(self.outside)
            self.assertEqual(code, 421)  # two outsiders hold the share
            smtp.login(USER, PASSWORD)
            # The authenticated session counts as the relay's own client now.
            _, (code, text) = self.connect(self.outside)
            self.assertEqual(code, 220, text)

    def test_talking_before_the_greeting_is_refused(self):
        client = RawSmtp(self.relay.smtp_server, source_address=self.outside)
        self.addCleanup(client.close)
        client.send("EHLO spammer.example\r\n")  # without waiting for the banner
        code, text = client.reply()
        self.assertEqual(code, 554, text)
        self.assertTrue(text.startswith("5.5.1"), text)
        self.assertIn("talking before the greeting", text)
        self.relay.wait_for_log(event="connection_refused", reason="pregreet")
        self.relay.wait_for_sample("mxrelay_inbound_connections_refused_total", 1,
                                   reason="pregreet")
        # A client that waits is greeted; inside relay_networks nobody waits at all.
        _, (code, _) = self.connect(self.outside)
        self.assertEqual(code, 220)
        _, (code, _) = self.connect(self.inside)
        self.assertEqual(code, 220)


if __name__ == "__main__":
    unittest.main()
