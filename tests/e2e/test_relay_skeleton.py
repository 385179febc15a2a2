"""e2e: the walking skeleton. swaks -> mxrelay -> the MX that NSD names -> aiosmtpd sink,
and relaying refused to clients outside server.relay_networks."""

import smtplib
import unittest

from harness import E2eTestCase, Mxrelay, Nsd, SmtpSink, free_port, render_zone, send_smtplib, send_swaks

SENDER = "sender@client.example"
RECIPIENT = "user@relay.example"


class RelaySkeletonTest(E2eTestCase):
    def start_peers(self, relay_networks=("127.0.0.0/8",)):
        ns = self.block.host(53)
        zones = {
            zone: render_zone(zone, NS=ns, NET=self.block.prefix)
            for zone in ("relay.example", "relay-target.example")
        }
        self.nsd = self.start(Nsd(self.workdir, ns, zones))
        self.mx_address = self.block.host(10)
        self.sink_port = free_port(self.mx_address)
        self.sink = self.start(SmtpSink(self.workdir, "mx1", self.mx_address, self.sink_port))
        self.relay = self.start(
            Mxrelay(
                self.workdir,
                self.block,
                {
                    "server": {"relay_networks": list(relay_networks)},
                    "dns": {"stub": self.nsd.stubs()},
                    "delivery": {"port": self.sink_port},
                },
            )
        )

    def test_message_reaches_the_mx_named_in_dns(self):
        self.start_peers()
        send_swaks(self.relay.smtp_server, SENDER, RECIPIENT)

        (message,) = self.sink.wait_for_messages(1)
        self.assertEqual(message["local"], [self.mx_address, self.sink_port])
        self.assertEqual(message["mail_from"], SENDER)
        self.assertEqual(message["rcpt_tos"], [RECIPIENT])
        self.assertIn("Subject: test", message["data"])

        accepted = self.relay.wait_for_log(event="accepted", nrcpt="1")
        self.assertEqual(accepted["from"], f"<{SENDER}>")
        delivery = self.relay.wait_for_log(event="delivery", to=f"<{RECIPIENT}>")
        self.assertEqual(delivery["status"], "sent", delivery["_line"])
        self.assertEqual(delivery["queue_id"], accepted["queue_id"])
        self.assertEqual(
            delivery["relay"], f"mx1.relay-target.example[{self.mx_address}]:{self.sink_port}"
        )
        self.assertTrue(delivery["dsn"].startswith("2."), delivery["_line"])
        self.assertTrue(delivery["reply"].startswith("250"), delivery["_line"])
        self.relay.wait_for_log(event="removed", queue_id=accepted["queue_id"])

        self.relay.wait_for_metric("mxrelay_messages_received_total", 1)
        self.relay.wait_for_metric("mxrelay_messages_delivered_total", 1)
        self.assertEqual(len(self.sink.messages()), 1)

    def test_relaying_refused_outside_relay_networks(self):
        self.start_peers(relay_networks=["127.0.0.1/32"])
        outsider = self.block.host(2)

        refused = send_swaks(
            self.relay.smtp_server, SENDER, RECIPIENT, local_interface=outsider,
            expect_success=False,
        )
        self.assertNotEqual(refused.returncode, 0, refused.transcript)
        self.assertRegex(refused.transcript, r"<\*\* +554[ -]5\.7\.1")
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as caught:
            send_smtplib(self.relay.smtp_server, SENDER, RECIPIENT, source_address=outsider)
        code, text = caught.exception.recipients[RECIPIENT]
        self.assertEqual((code, text[:5]), (554, b"5.7.1"))

        send_smtplib(self.relay.smtp_server, SENDER, RECIPIENT, source_address="127.0.0.1")
        (message,) = self.sink.wait_for_messages(1)
        self.assertEqual(message["rcpt_tos"], [RECIPIENT])
        self.assertEqual(len(self.relay.log_events(event="accepted")), 1)


if __name__ == "__main__":
    unittest.main()
