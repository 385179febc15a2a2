"""e2e: MTA-STS (RFC 8461) through the whole relay. NSD serves sts.example; each recipient
domain D.sts.example has an MX, a _mta-sts TXT record (TTL 0, so a changed id is seen at
once) and mta-sts.D.sts.example pointing at an HTTPS server (http.server with ssl, on port
443 of a 127.x address, its certificate issued by a test CA the relay gets as
delivery.tls_ca_file). Two SMTP sinks offer STARTTLS: "trusted" with a certificate from
that CA for its MX name, "untrusted" with a self-signed one.
  enforce     MX listed, trusted certificate       -> delivered over verified TLS
  mismatch    MX not in the policy's mx patterns   -> deferred 4.7.5 naming the policy, no connection
  untrusted   MX listed, self-signed certificate   -> deferred 4.7.5 naming the policy
  testing     MX not listed, self-signed           -> delivered, the failures counted and logged
  malformed / oversize / redirect policies         -> no policy (delivered as before), logged
The policy cache under the spool survives a restart and stands in while the HTTPS server is
down; a changed TXT id is refetched.
"""

import smtplib
import unittest
from email.message import EmailMessage

from harness import (
    E2eTestCase,
    HttpsServer,
    Mxrelay,
    Nsd,
    SmtpSink,
    ca_signed_certificate,
    free_port,
    self_signed_certificate,
    send_smtplib,
    make_test_ca,
    wait_until,
)

SENDER = "sender@client.example"
ZONE = "sts.example"
POLICY_PATH = "/.well-known/mta-sts.txt"
TRUSTED = ("enforce", "mismatch")
UNTRUSTED = ("untrusted", "testing", "malformed", "oversize", "redirect")


def domain(name):
    return f"{name}.{ZONE}"


def policy(mode, *mx, max_age=86400):
    lines = ["version: STSv1", f"mode: {mode}", *(f"mx: {m}" for m in mx), f"max_age: {max_age}"]
    return ("\r\n".join(lines) + "\r\n").encode()


POLICIES = {
    "enforce": policy("enforce", "mx.enforce.sts.example"),
    "mismatch": policy("enforce", "mx.elsewhere.sts.example"),
    "untrusted": policy("enforce", "*.untrusted.sts.example"),
    "testing": policy("testing", "mx.elsewhere.sts.example"),
    "malformed": b"version: STSv1\nmode: enforce\nmax_age: 86400\n",
    "oversize": policy("enforce", "mx.elsewhere.sts.example")
    + b"".join(b"x_padding: " + b"a" * 100 + b"\n" for _ in range(700)),
}
TEXT_PLAIN = {"Content-Type": "text/plain"}


class MtaStsTest(E2eTestCase):
    def setUp(self):
        super().setUp()
        self.ids = {name: "1" for name in TRUSTED + UNTRUSTED}
        self.sent = 0
        self.trusted_address = self.block.host(10)
        self.untrusted_address = self.block.host(11)
        self.https_address = self.block.host(20)
        self.port = free_port(self.trusted_address)
        tls = self.workdir / "tls"
        self.ca = make_test_ca(tls / "ca")
        trusted = ca_signed_certificate(self.ca, tls / "trusted", "mx.enforce.sts.example",
                                        ["mx.mismatch.sts.example"])
        untrusted = self_signed_certificate(tls / "untrusted", "mx.untrusted.sts.example")
        names = [f"mta-sts.{domain(n)}" for n in TRUSTED + UNTRUSTED]
        https_cert = ca_signed_certificate(self.ca, tls / "https", names[0], names[1:])

        self.nsd = self.start(Nsd(self.workdir, self.block.host(53), {ZONE: self.zone()}))
        self.trusted = self.start(SmtpSink(self.workdir, "trusted", self.trusted_address,
                                           self.port, tls=trusted))
        self.untrusted = self.start(SmtpSink(self.workdir, "untrusted", self.untrusted_address,
                                             self.port, tls=untrusted))
        routes = {(f"mta-sts.{domain(name)}", POLICY_PATH): (200, TEXT_PLAIN, body)
                  for name, body in POLICIES.items()}
        routes[(f"mta-sts.{domain('redirect')}", POLICY_PATH)] = (
            301, {"Location": f"https://mta-sts.{domain('enforce')}{POLICY_PATH}"}, b"")
        self.https = self.start(HttpsServer(self.https_address, 443, *https_cert, routes))
        self.relay = self.start(Mxrelay(self.workdir, self.block, {
            "dns": {"stub": self.nsd.stubs()},
            "delivery": {"port": self.port, "tls_ca_file": str(self.ca.cert)},
        }))

    def zone(self):
        lines = [f"$ORIGIN {ZONE}.", "$TTL 300", "@ SOA ns admin 1 3600 600 86400 300", "@ NS ns",
                 "ns A 127.0.0.1"]
        for name in TRUSTED + UNTRUSTED:
            address = self.trusted_address if name in TRUSTED else self.untrusted_address
            lines += [f"{name} MX 10 mx.{name}", f"mx.{name} A {address}",
                      f'_mta-sts.{name} 0 TXT "v=STSv1; id={self.ids[name]};"',
                      f"mta-sts.{name} A {self.https_address}"]
        return "\n".join(lines) + "\n"

    def change_id(self, name, new_id):
        """Restarts NSD on the same address and port with another TXT id for `name`."""
        self.ids[name] = new_id
        self.nsd.stop()
        self.nsd.zones[ZONE] = self.zone()
        self.nsd.start()

    def send(self, name, subject):
        """Submits one message; its queue id (the n-th accepted line is the n-th message)."""
        send_smtplib(self.relay.smtp_server, SENDER, f"user@{domain(name)}", subject=subject)
        self.sent += 1
        return self.relay.wait_for_logs(self.sent, event="accepted")[self.sent - 1]["queue_id"]

    def fetches(self, name):
        host = f"mta-sts.{domain(name)}"
        return [r for r in self.https.requests() if r[1] == host and r[2] == POLICY_PATH]

    def deferrals(self, queue_id):
        return self.relay.log_events(event="delivery", queue_id=queue_id, status="deferred")

    def wait_for_deferral(self, queue_id, count=1):
        return self.relay.wait_for_logs(count, event="delivery", queue_id=queue_id,
                                        status="deferred")[count - 1]

    def wait_for_at_least(self, name, value, **labels):
        """Counters that retries keep raising: wait until the sample reaches `value`."""
        wait_until(lambda: (self.relay.metric(name, **labels) or 0) >= value, 20.0,
                   f"metric {name}{labels} >= {value}")

    def test_enforce_with_a_listed_mx_delivers_over_verified_tls(self):
        queue_id = self.send("enforce", "sts enforce")
        (message,) = self.trusted.wait_for_messages(1)
        self.assertTrue(message["tls"], "delivered without TLS")
        self.relay.wait_for_log(event="delivery", queue_id=queue_id, status="sent")
        tls = self.relay.wait_for_log(event="tls", queue_id=queue_id)
        self.assertEqual(tls["verification"], "verified", tls["_line"])
        self.assertEqual(tls["policy"], "verify", tls["_line"])
        fetched = self.relay.wait_for_log(event="mta_sts_policy", domain=domain("enforce"))
        self.assertEqual((fetched["id"], fetched["mode"], fetched["max_age"]),
                         ("1", "enforce", "86400"), fetched["_line"])
        self.assertEqual(len(self.fetches("enforce")), 1)
        self.relay.wait_for_sample("mxrelay_mta_sts_lookups_total", 1, source="fetch")
        cached = self.relay.spool_dir / "mta-sts" / domain("enforce")
        self.assertIn(b"mode: enforce", cached.read_bytes())

    def test_enforce_with_an_unlisted_mx_defers_naming_the_policy_without_connecting(self):
        queue_id = self.send("mismatch", "sts mismatch")
        deferred = self.wait_for_deferral(queue_id)
        self.assertEqual(deferred["dsn"], "4.7.5", deferred["_line"])
        self.assertIn("MTA-STS policy of mismatch.sts.example (id 1, mode enforce) does not list "
                      "MX host mx.mismatch.sts.example", deferred["reply"])
        self.wait_for_deferral(queue_id, 2)
        self.assertEqual(self.trusted.connections(), [])
        self.wait_for_at_least("mxrelay_mta_sts_failures_total", 2, mode="enforce")

    def test_enforce_with_an_untrusted_certificate_defers_naming_the_policy(self):
        queue_id = self.send("untrusted", "sts untrusted")
        deferred = self.wait_for_deferral(queue_id)
        self.assertEqual(deferred["dsn"], "4.7.5", deferred["_line"])
        self.assertIn("certificate verification failed", deferred["reply"])
        self.assertIn("verified TLS required by the MTA-STS policy of untrusted.sts.example",
                      deferred["reply"])
        self.assertEqual(self.untrusted.messages(), [])
        self.wait_for_at_least("mxrelay_mta_sts_failures_total", 1, mode="enforce")

    def test_route_shows_the_policy_and_the_rule_for_each_mx_without_caching(self):
        explanation, code = self.relay.route(domain("mismatch"))
        self.assertEqual(code, 0, explanation)
        sts = explanation["mta_sts"]
        self.assertTrue(sts["applies"], sts)
        self.assertEqual(sts["origin"], "fetch", sts)
        self.assertEqual(sts["policy"]["mode"], "enforce")
        self.assertEqual(sts["policy"]["mx"], ["mx.elsewhere.sts.example"])
        self.assertEqual(sts["policy"]["max_age"], 86400)
        (rule,) = sts["hosts"]
        self.assertEqual(rule["host"], "mx.mismatch.sts.example")
        self.assertIn("not connected: 451 4.7.5", rule["rule"])
        # route fetched it to show it; only the relay writes its cache.
        self.assertFalse((self.relay.spool_dir / "mta-sts" / domain("mismatch")).exists())

        self.send("enforce", "cache it")
        self.trusted.wait_for_messages(1)
        text, code = self.relay.route(domain("enforce"), json_output=False)
        self.assertEqual(code, 0, text)
        self.assertIn("MTA-STS: MTA-STS policy of enforce.sts.example (id 1, mode enforce), "
                      "from the relay's cache", text)
        self.assertIn("mx patterns: mx.enforce.sts.example", text)
        self.assertIn("mx.enforce.sts.example: TLS required, the certificate verified", text)
        self.assertEqual(len(self.fetches("enforce")), 1)

    def test_tls_required_no_lets_a_message_past_an_enforce_policy(self):
        # RFC 8689: the sender asks that the recipient's MTA-STS policy not be applied.
        message = EmailMessage()
        message["From"] = SENDER
        message["To"] = f"user@{domain('mismatch')}"
        message["Subject"] = "no policy for me"
        message["TLS-Required"] = "No"
        message.set_content("relaxed\n")
        with smtplib.SMTP(*self.relay.smtp_server, timeout=15) as smtp:
            smtp.send_message(message)
        (delivered,) = self.trusted.wait_for_messages(1)
        self.assertIn("Subject: no policy for me", delivered["data"])
        self.assertEqual(self.fetches("mismatch"), [], "the policy was looked up anyway")

    def test_testing_mode_delivers_as_before_and_counts_the_failures(self):
        queue_id = self.send("testing", "sts testing")
        (message,) = self.untrusted.wait_for_messages(1)
        self.assertTrue(message["tls"], "opportunistic TLS was not used")
        self.relay.wait_for_log(event="delivery", queue_id=queue_id, status="sent")
        failures = self.relay.wait_for_logs(2, event="mta_sts_testing_failure", queue_id=queue_id)
        details = " | ".join(f["detail"] for f in failures)
        self.assertIn("MX host mx.testing.sts.example is not listed", details)
        self.assertIn("certificate unverified", details)
        self.relay.wait_for_sample("mxrelay_mta_sts_failures_total", 2, mode="testing")

    def test_invalid_policies_mean_no_policy_and_are_logged(self):
        expected = {"malformed": ("policy_invalid", "no mx field"),
                    "oversize": ("fetch_failed", "larger than 65536 bytes"),
                    "redirect": ("fetch_failed", "redirect (HTTP 301) not followed")}
        for name in expected:
            self.send(name, f"sts {name}")
        self.untrusted.wait_for_messages(len(expected))
        for name, (problem, detail) in expected.items():
            logged = self.relay.wait_for_log(event="mta_sts_problem", domain=domain(name))
            self.assertEqual(logged["problem"], problem, logged["_line"])
            self.assertIn(detail, logged["detail"])
            self.assertEqual(logged["policy"], "none")
        self.relay.wait_for_sample("mxrelay_mta_sts_problems_total", 1, problem="policy_invalid")
        self.relay.wait_for_sample("mxrelay_mta_sts_problems_total", 2, problem="fetch_failed")
        self.assertFalse((self.relay.spool_dir / "mta-sts" / domain("malformed")).exists())

    def test_cached_policy_survives_a_restart_while_the_https_server_is_down(self):
        self.send("enforce", "before restart")
        self.trusted.wait_for_messages(1)
        queue_id = self.send("mismatch", "held by policy")
        self.wait_for_deferral(queue_id)
        self.https.stop()
        self.relay.restart()
        self.send("enforce", "after restart")
        self.trusted.wait_for_messages(2)
        self.wait_for_at_least("mxrelay_mta_sts_lookups_total", 1, source="cache")
        before = len(self.deferrals(queue_id))
        deferred = self.wait_for_deferral(queue_id, before + 1)
        self.assertIn("MTA-STS policy of mismatch.sts.example (id 1", deferred["reply"])
        self.assertEqual(len(self.fetches("enforce")), 1)
        self.assertEqual(len(self.fetches("mismatch")), 1)

    def test_a_changed_txt_id_is_refetched_and_a_failed_fetch_keeps_the_cache(self):
        self.send("enforce", "policy one")
        self.trusted.wait_for_messages(1)
        self.https.set_route(f"mta-sts.{domain('enforce')}", POLICY_PATH, 200, TEXT_PLAIN,
                             policy("enforce", "mx.elsewhere.sts.example"))
        self.change_id("enforce", "2")
        queue_id = self.send("enforce", "policy two")
        deferred = self.wait_for_deferral(queue_id)
        self.assertIn("MTA-STS policy of enforce.sts.example (id 2, mode enforce) does not list",
                      deferred["reply"])
        self.assertEqual(len(self.fetches("enforce")), 2)

        self.https.stop()
        self.change_id("enforce", "3")
        problem = self.relay.wait_for_log(event="mta_sts_problem", domain=domain("enforce"),
                                          problem="fetch_failed")
        self.assertIn("(id 2, mode enforce) from the cache", problem["policy"])
        before = len(self.deferrals(queue_id))
        deferred = self.wait_for_deferral(queue_id, before + 1)
        self.assertIn("(id 2, mode enforce) does not list", deferred["reply"])
        self.assertEqual(len(self.trusted.messages()), 1)


if __name__ == "__main__":
    unittest.main()
