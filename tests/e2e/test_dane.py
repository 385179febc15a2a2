"""e2e: DANE (RFC 7672) through the whole relay. NSD serves dane.example, signed in the test
with ldns-signzone, and the unsigned plain.example; the relay's [dns] trusts the signed zone's
key (dns.trust_anchor_file) and reaches both zones through [[dns.stub]]. The MX hosts are an
aiosmtpd server offering STARTTLS with a self-signed certificate, which records every
connection and whether each message came over TLS.
  good.dane.example    TLSA 3 1 1 of the server's key        -> delivered, DANE-verified
  bad.dane.example     TLSA 3 1 1 of another key             -> deferred 4.7.5
  bogus.dane.example   TLSA changed after signing (bogus)    -> deferred 4.7.5, no connection
  plain.example        unsigned: its TLSA record is ignored  -> dane: opportunistic TLS;
                                                                dane-only: deferred 4.7.4
"""

import re
import ssl
import subprocess
import threading
import unittest
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from harness import (
    E2eTestCase,
    Fixture,
    Mxrelay,
    Nsd,
    free_port,
    self_signed_certificate,
    send_smtplib,
    transport_table,
    wait_until,
)

SENDER = "sender@client.example"
MX_NAME = "mx.dane-test.example"
WRONG_DIGEST = "0" * 64


def spki_sha256(cert):
    """The SHA-256 digest of the certificate's SubjectPublicKeyInfo (TLSA selector 1, type 1)."""
    public_key = subprocess.run(
        ["openssl", "x509", "-in", cert, "-noout", "-pubkey"],
        check=True, capture_output=True, timeout=30,
    ).stdout
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-outform", "DER"],
        input=public_key, check=True, capture_output=True, timeout=30,
    ).stdout
    digest = subprocess.run(
        ["openssl", "dgst", "-sha256", "-r"],
        input=der, check=True, capture_output=True, timeout=30,
    ).stdout.decode()
    return digest.split()[0]


def sign_zone(directory, origin, text):
    """Signs zone `text` with a fresh KSK and ZSK (ldns); returns (signed text, KSK .key path).
    The .key file holds the KSK's DNSKEY record: a trust anchor for the zone."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)

    def keygen(*flags):
        done = subprocess.run(
            ["ldns-keygen", "-a", "ECDSAP256SHA256", *flags, origin],
            cwd=directory, check=True, capture_output=True, text=True, timeout=30,
        )
        return done.stdout.strip()

    ksk, zsk = keygen("-k"), keygen()
    zone_file = directory / f"{origin}.zone"
    zone_file.write_text(text)
    subprocess.run(["ldns-signzone", zone_file.name, ksk, zsk], cwd=directory, check=True,
                   capture_output=True, timeout=30)
    return (directory / f"{origin}.zone.signed").read_text(), directory / f"{ksk}.key"


def tamper_tlsa(signed_text, owner, digest):
    """The signed zone with the TLSA record of `owner` given another digest, its RRSIG kept:
    a validating resolver finds the RRset bogus."""
    pattern = re.compile(rf"^({re.escape(owner)}\s+\d+\s+IN\s+TLSA\s+3 1 1 )[0-9a-fA-F]+$", re.M)
    tampered, count = pattern.subn(lambda m: m.group(1) + digest, signed_text)
    if count != 1:
        raise AssertionError(f"no TLSA record of {owner} in the signed zone")
    return tampered


class StarttlsSink(Fixture):
    """aiosmtpd in this process on address:port, offering (not requiring) STARTTLS with
    (cert, key). Records each connection and each message with whether it came over TLS."""

    name = "starttls-sink"

    def __init__(self, address, port, cert, key):
        self.address = address
        self.port = port
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        self._lock = threading.Lock()
        self._connections = 0
        self._messages = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                with sink._lock:
                    sink._messages.append({
                        "rcpt_tos": list(envelope.rcpt_tos),
                        "tls": session.ssl is not None,
                        "data": envelope.original_content,
                    })
                return "250 2.0.0 Ok: stored"

        class CountingSmtp(SMTP):
            def connection_made(self, transport):
                if self.transport is None:
                    with sink._lock:
                        sink._connections += 1
                super().connection_made(transport)

        class CountingController(Controller):
            def factory(self):
                return CountingSmtp(self.handler, **self.SMTP_kwargs)

        self.controller = CountingController(
            Handler(), hostname=address, port=port, tls_context=context,
            require_starttls=False,
        )

    def connections(self):
        with self._lock:
            return self._connections

    def messages(self):
        with self._lock:
            return list(self._messages)

    def wait_for_messages(self, count, timeout=20.0):
        return wait_until(lambda: len(self.messages()) >= count and self.messages(), timeout,
                          f"{count} message(s) at the STARTTLS sink")

    def start(self):
        self.controller.start()
        with self._lock:
            self._connections = 0  # the controller's own readiness probe is no client

    def stop(self):
        self.controller.stop()


class DaneTest(E2eTestCase):
    def setUp(self):
        super().setUp()
        mx_address = self.block.host(25)
        self.port = free_port(mx_address)
        cert, key = self_signed_certificate(self.workdir / "tls", MX_NAME)
        digest = spki_sha256(cert)
        tlsa = f"_{self.port}._tcp"
        head = "$TTL 300\n@ SOA ns admin 1 3600 600 86400 300\n@ NS ns\nns A 127.0.0.1\n"
        signed, self.anchor = sign_zone(
            self.workdir / "zone", "dane.example",
            "$ORIGIN dane.example.\n" + head
            + "".join(f"{name} MX 10 mx-{name}\nmx-{name} A {mx_address}\n"
                      for name in ("good", "bad", "bogus"))
            + f"{tlsa}.mx-good TLSA 3 1 1 {digest}\n"
            + f"{tlsa}.mx-bad TLSA 3 1 1 {WRONG_DIGEST}\n"
            + f"{tlsa}.mx-bogus TLSA 3 1 1 {digest}\n",
        )
        signed = tamper_tlsa(signed, f"{tlsa}.mx-bogus.dane.example.", "1" * 64)
        plain = ("$ORIGIN plain.example.\n" + head + f"@ MX 10 mx\nmx A {mx_address}\n"
                 + f"{tlsa}.mx TLSA 3 1 1 {WRONG_DIGEST}\n")
        self.nsd = self.start(Nsd(self.workdir, self.block.host(53),
                                  {"dane.example": signed, "plain.example": plain}))
        self.sink = self.start(StarttlsSink(mx_address, self.port, cert, key))

    def start_relay(self, tls_by_domain):
        dns = {"dnssec": True, "trust_anchor_file": str(self.anchor), "stub": self.nsd.stubs()}
        entries = {domain: {"tls": tls} for domain, tls in tls_by_domain.items()}
        self.relay = self.start(
            Mxrelay(self.workdir, self.block, {"dns": dns, "delivery": {"port": self.port}},
                    extra_toml=transport_table(entries))
        )

    def send(self, domain, subject):
        send_smtplib(self.relay.smtp_server, SENDER, f"user@{domain}", subject=subject)
        return self.relay.wait_for_log(event="accepted")["queue_id"]

    def deferral(self, queue_id):
        return self.relay.wait_for_log(event="delivery", queue_id=queue_id, status="deferred")

    def assert_queued_with_reason(self, queue_id, reason):
        shown, code = self.relay.queue("show", queue_id)
        self.assertEqual(code, 0, shown)
        self.assertIn(reason, shown["entry"]["last_error"], shown)

    def tls_samples(self, policy, outcome):
        return self.relay.metric("mxrelay_outbound_tls_total", policy=policy, outcome=outcome)

    def test_matching_tlsa_record_authenticates_the_mx(self):
        self.start_relay({"good.dane.example": "dane"})
        queue_id = self.send("good.dane.example", "dane good")
        (message,) = self.sink.wait_for_messages(1)
        self.assertTrue(message["tls"], "delivered without TLS")
        self.assertIn(b"Subject: dane good", message["data"])

        delivery = self.relay.wait_for_log(event="delivery", queue_id=queue_id, status="sent")
        self.assertEqual(delivery["dsn"], "2.0.0", delivery["_line"])
        tls = self.relay.wait_for_log(event="tls", queue_id=queue_id)
        self.assertEqual(tls["policy"], "dane", tls["_line"])
        self.assertRegex(tls["version"], r"^TLSv1\.[23]$")
        self.assertEqual(tls["verification"], "dane-verified (DANE-EE 3 1 1)", tls["_line"])
        self.assertEqual(tls["fell_back"], "no")
        self.relay.wait_for_sample("mxrelay_outbound_tls_total", 1, policy="dane",
                                   outcome="dane_verified")
        self.assertEqual(self.tls_samples("dane", "verified"), 0)

    def test_tlsa_record_of_another_key_defers_without_plaintext(self):
        self.start_relay({"bad.dane.example": "dane"})
        queue_id = self.send("bad.dane.example", "dane bad")
        deferred = self.deferral(queue_id)
        self.assertEqual(deferred["dsn"], "4.7.5", deferred["_line"])
        self.assertIn("DANE authentication failed", deferred["reply"])
        self.relay.wait_for_sample("mxrelay_outbound_tls_total", 1, policy="dane",
                                   outcome="failed")
        self.assert_queued_with_reason(queue_id, "DANE authentication failed")
        self.assertEqual(self.sink.messages(), [], "a message went through without DANE")
        self.assertEqual(self.relay.log_events(event="delivery", status="sent"), [])

    def test_bogus_tlsa_answer_defers_before_connecting(self):
        self.start_relay({"bogus.dane.example": "dane"})
        queue_id = self.send("bogus.dane.example", "dane bogus")
        deferred = self.deferral(queue_id)
        self.assertEqual(deferred["dsn"], "4.7.5", deferred["_line"])
        self.assert_queued_with_reason(queue_id, "TLSA lookup failed")
        # The retry (every second) fails the same way, and nothing ever reaches the MX.
        self.relay.wait_for_logs(2, event="delivery", queue_id=queue_id, status="deferred")
        self.assertEqual(self.sink.connections(), 0)
        self.assertEqual(self.sink.messages(), [])

    def test_unsigned_zone_gets_opportunistic_tls_under_dane(self):
        self.start_relay({"plain.example": "dane"})
        queue_id = self.send("plain.example", "dane plain")
        (message,) = self.sink.wait_for_messages(1)
        self.assertTrue(message["tls"], "opportunistic TLS was not used")
        self.relay.wait_for_log(event="delivery", queue_id=queue_id, status="sent")
        tls = self.relay.wait_for_log(event="tls", queue_id=queue_id)
        self.assertTrue(tls["verification"].startswith("unverified"), tls["_line"])
        self.relay.wait_for_sample("mxrelay_outbound_tls_total", 1, policy="dane",
                                   outcome="unverified")

    def test_dane_only_defers_an_unsigned_zone(self):
        self.start_relay({"plain.example": "dane-only"})
        queue_id = self.send("plain.example", "dane-only plain")
        deferred = self.deferral(queue_id)
        self.assertEqual(deferred["dsn"], "4.7.4", deferred["_line"])
        self.assert_queued_with_reason(queue_id, "dane-only requires DANE authentication")
        self.assertEqual(self.sink.connections(), 0)


if __name__ == "__main__":
    unittest.main()
