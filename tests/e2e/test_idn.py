"""e2e: internationalised recipient domains. NSD serves relaytest.net (zone fixture), where
bücher.relaytest.net exists only as its A-label xn--bcher-kva with an MX pointing at the
test's sink. A message to user@bücher.relaytest.net (SMTPUTF8) is routed through the A-label
and delivered with the recipient unchanged, the delivery log line names the A-label
(domain_a_label=), `mxrelay route` shows both forms, and a domain IDNA cannot convert
(user@☃.relaytest.net) is refused at RCPT with 553 5.1.2."""

import smtplib
import subprocess
import unittest

from harness import (
    E2eTestCase, Mxrelay, Nsd, SmtpSink, free_port, mxrelay_bin, render_zone,
)

SENDER = "sender@client.example"
U_LABEL_DOMAIN = "bücher.relaytest.net"
A_LABEL_DOMAIN = "xn--bcher-kva.relaytest.net"
RECIPIENT = f"user@{U_LABEL_DOMAIN}"
UNCONVERTIBLE = "user@☃.relaytest.net"


class IdnTest(E2eTestCase):
    def setUp(self):
        super().setUp()
        ns = self.block.host(53)
        zone = render_zone("relaytest.net", NS=ns, NET=self.block.prefix)
        nsd = self.start(Nsd(self.workdir, ns, {"relaytest.net": zone}))
        sink_address = self.block.host(25)
        port = free_port(sink_address)
        self.sink = self.start(SmtpSink(self.workdir, "mx", sink_address, port))
        self.relay = self.start(Mxrelay(
            self.workdir, self.block, {"dns": {"stub": nsd.stubs()}, "delivery": {"port": port}}
        ))

    def test_u_label_domain_is_delivered_through_its_a_label(self):
        content = (
            f"From: {SENDER}\r\nTo: {RECIPIENT}\r\nSubject: IDN\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\nFür die Bücherei.\r\n"
        ).encode()
        with smtplib.SMTP(*self.relay.smtp_server, timeout=15) as smtp:
            smtp.ehlo("client.mxrelay-test.example")
            refused = smtp.sendmail(SENDER, [RECIPIENT], content,
                                    mail_options=["SMTPUTF8", "BODY=8BITMIME"])
        self.assertEqual(refused, {})
        queue_id = self.relay.wait_for_log(event="accepted")["queue_id"]

        (message,) = self.sink.wait_for_messages(1)
        self.assertEqual(message["rcpt_tos"], [RECIPIENT])
        self.assertIn("Für die Bücherei.", message["data"])
        delivery = self.relay.wait_for_log(event="delivery", queue_id=queue_id, status="sent")
        self.assertEqual(delivery.get("domain_a_label"), A_LABEL_DOMAIN, delivery["_line"])
        self.assertEqual(delivery["relay"],
                         f"mx.relaytest.net[{self.block.host(25)}]:{self.sink.port}")

    def test_route_shows_both_forms(self):
        # Bytes, decoded here: the output must not depend on the test's locale.
        done = subprocess.run(
            [mxrelay_bin(), "route", "-c", str(self.relay.config_path), U_LABEL_DOMAIN],
            capture_output=True, timeout=30,
        )
        text = done.stdout.decode("utf-8", errors="replace")
        self.assertEqual(done.returncode, 0, text + done.stderr.decode(errors="replace"))
        self.assertIn(U_LABEL_DOMAIN, text)
        self.assertIn(A_LABEL_DOMAIN, text)
        self.assertIn("mx.relaytest.net", text, "the MX of the A-label was not found")

    def test_unconvertible_domain_is_refused_at_rcpt(self):
        with smtplib.SMTP(*self.relay.smtp_server, timeout=15) as smtp:
            smtp.ehlo("client.mxrelay-test.example")
            code, _ = smtp.mail(SENDER, ["SMTPUTF8"])
            self.assertEqual(code, 250)
            code, text = smtp.rcpt(UNCONVERTIBLE)
            self.assertEqual(code, 553, text)
            self.assertIn(b"5.1.2", text)
            # The session goes on: a valid IDN recipient in the same transaction is taken.
            code, text = smtp.rcpt(RECIPIENT)
            self.assertEqual(code, 250, text)
            code, text = smtp.data(f"From: {SENDER}\r\nSubject: after\r\n\r\nok\r\n".encode())
            self.assertEqual(code, 250, text)
        (message,) = self.sink.wait_for_messages(1)
        self.assertEqual(message["rcpt_tos"], [RECIPIENT])
        self.assertEqual(self.relay.wait_for_log(event="accepted")["nrcpt"], "1")


if __name__ == "__main__":
    unittest.main()
