"""e2e: REQUIRETLS (RFC 8689) through two relays. A client submits over STARTTLS with MAIL
FROM ... REQUIRETLS to relay A; A sends it to relay B over verified TLS (B's certificate from
a test CA, A's transport entry naming B), with REQUIRETLS; B delivers it over verified TLS to
the MX of the recipient domain, a sink that offers REQUIRETLS. A message for a domain whose
MX does not offer REQUIRETLS is not delivered there: it bounces with 5.7.30, and the report
returns only the message's header section; when a domain's first MX does not offer it and
its second does, the message goes to the second (RFC 8689 section 4.2.1). NSD serves the names; every certificate is issued
by the test CA, which both relays get as delivery.tls_ca_file."""

import smtplib
import ssl
import unittest
from email.message import EmailMessage

from harness import (
    E2eTestCase, Mxrelay, Nsd, SmtpSink, ca_signed_certificate, free_port, make_test_ca,
    self_signed_certificate,
)

ZONE = "rtls.example"
SENDER = f"alice@sender.{ZONE}"


class RequireTlsTest(E2eTestCase):
    def setUp(self):
        super().setUp()
        self.final_address = self.block.host(20)
        self.plain_address = self.block.host(21)
        self.bounces_address = self.block.host(22)
        self.port = free_port(self.final_address)
        tls = self.workdir / "tls"
        self.ca = make_test_ca(tls / "ca")
        self.nsd = self.start(Nsd(self.workdir, self.block.host(53), {ZONE: self.zone()}))
        final_cert = ca_signed_certificate(self.ca, tls / "final", f"mx.ok.{ZONE}")
        plain_cert = ca_signed_certificate(self.ca, tls / "plain", f"mx.no.{ZONE}")
        self.final = self.start(SmtpSink(self.workdir, "final", self.final_address, self.port,
                                         tls=final_cert, requiretls=True))
        self.plain = self.start(SmtpSink(self.workdir, "plain", self.plain_address, self.port,
                                         tls=plain_cert))
        self.bounces = self.start(SmtpSink(self.workdir, "bounces", self.bounces_address,
                                           self.port))
        delivery = {"port": self.port, "tls_ca_file": str(self.ca.cert)}
        dns = {"stub": self.nsd.stubs()}
        b_cert = ca_signed_certificate(self.ca, tls / "b", f"relay-b.{ZONE}")
        self.relay_b = self.start(Mxrelay(self.workdir / "b", _Shifted(self.block, 100), {
            "server": {"tls_cert_file": str(b_cert[0]), "tls_key_file": str(b_cert[1]),
                       "hostname": f"relay-b.{ZONE}"},
            "dns": dns, "delivery": delivery}))
        a_cert = self_signed_certificate(tls / "a", "relay-a.example")
        route_to_b = (f'[transport]\n"ok.{ZONE}" = {{ host = "relay-b.{ZONE}:'
                      f'{self.relay_b.port}" }}\n')
        self.relay_a = self.start(Mxrelay(self.workdir / "a", self.block, {
            "server": {"tls_cert_file": str(a_cert[0]), "tls_key_file": str(a_cert[1])},
            "dns": dns, "delivery": delivery}, extra_toml=route_to_b))

    def zone(self):
        b = self.block.host(101)
        return "\n".join([
            f"$ORIGIN {ZONE}.", "$TTL 300", "@ SOA ns admin 1 3600 600 86400 300", "@ NS ns",
            "ns A 127.0.0.1",
            f"relay-b A {b}",
            f"ok MX 10 mx.ok", f"mx.ok A {self.final_address}",
            f"no MX 10 mx.no", f"mx.no A {self.plain_address}",
            "mixed MX 10 mx.no", "mixed MX 20 mx.ok",
            f"sender MX 10 mx.sender", f"mx.sender A {self.bounces_address}",
        ]) + "\n"

    def submit(self, recipient, subject):
        message = EmailMessage()
        message["From"] = SENDER
        message["To"] = recipient
        message["Subject"] = subject
        message.set_content("the secret body\n")
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with smtplib.SMTP(*self.relay_a.smtp_server, timeout=15) as smtp:
            smtp.ehlo("client.example")
            self.assertFalse(smtp.has_extn("requiretls"), "offered before TLS")
            smtp.starttls(context=context)
            smtp.ehlo("client.example")
            self.assertTrue(smtp.has_extn("requiretls"), "not offered under TLS")
            smtp.send_message(message, SENDER, [recipient], mail_options=["REQUIRETLS"])

    def test_delivered_over_verified_tls_on_every_hop(self):
        self.submit(f"bob@ok.{ZONE}", "over two hops")
        (message,) = self.final.wait_for_messages(1, timeout=30)
        self.assertTrue(message["tls"], "the last hop was not encrypted")
        self.assertTrue(message["requiretls"], "REQUIRETLS was not passed on")
        hop = self.relay_a.wait_for_log(event="tls")
        self.assertEqual(hop["policy"], "verify", hop["_line"])
        self.assertEqual(hop["verification"], "verified", hop["_line"])
        last = self.relay_b.wait_for_log(event="tls")
        self.assertEqual(last["verification"], "verified", last["_line"])
        self.relay_b.wait_for_log(event="delivery", status="sent")

    def test_a_next_hop_without_requiretls_gets_a_5730_bounce(self):
        self.submit(f"carol@no.{ZONE}", "must not leave in the clear")
        bounced = self.relay_a.wait_for_log(event="delivery", status="bounced", timeout=30)
        self.assertEqual(bounced["dsn"], "5.7.30", bounced["_line"])
        self.assertIn("REQUIRETLS", bounced["reply"])
        self.assertEqual(self.plain.messages(), [])
        (report,) = self.bounces.wait_for_messages(1, timeout=30)
        self.assertEqual(report["rcpt_tos"], [SENDER])
        self.assertIn("Status: 5.7.30", report["data"])
        self.assertIn("text/rfc822-headers", report["data"])
        self.assertIn("Subject: must not leave in the clear", report["data"])
        self.assertNotIn("the secret body", report["data"])


    def test_the_next_mx_is_tried_when_the_first_lacks_requiretls(self):
        self.submit(f"dave@mixed.{ZONE}", "second MX")
        (message,) = self.final.wait_for_messages(1, timeout=30)
        self.assertTrue(message["requiretls"], "REQUIRETLS was not passed on")
        self.assertEqual(message["rcpt_tos"], [f"dave@mixed.{ZONE}"])
        sent = self.relay_a.wait_for_log(event="delivery", status="sent")
        self.assertIn(self.final_address, sent["_line"])
        passed_over = self.relay_a.wait_for_log(event="address_skipped")
        self.assertIn(f"{self.plain_address}: ", passed_over["detail"])
        self.assertIn("does not offer", passed_over["detail"])
        self.assertEqual(self.plain.messages(), [])
        self.assertEqual(self.bounces.messages(), [])


class _Shifted:
    """The same 127.x.y.0/24 block seen from host `offset` on, for a second relay."""

    def __init__(self, block, offset):
        self.prefix = block.prefix
        self._block = block
        self._offset = offset

    def host(self, n):
        return self._block.host(n + self._offset)


if __name__ == "__main__":
    unittest.main()
