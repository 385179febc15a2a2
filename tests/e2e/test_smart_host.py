"""e2e: delivery to an authenticating smart host: transport entries with auth = "isp"
([auth.isp]: username and a 0600 password_file) and implicit_tls. The smart host is
sink.py (aiosmtpd) with STARTTLS or implicit TLS, AUTH and a raw capture of the bytes on the
wire, or a second mxrelay with inbound AUTH. Checked: AUTH PLAIN (LOGIN when only that is
offered) over STARTTLS and over implicit TLS; a rejected password defers the mail (never a
bounce) with event=outbound_auth_failed, the 535 reply in the delivery line and in `queue
show`, and mxrelay_outbound_auth_failures_total; credentials never cross the wire in
plaintext (tls = "may" to a server without STARTTLS, tls = "none": 4.7.4); implicit TLS
with tls = "verify" (the default) checks the certificate against delivery.tls_ca_file and
the host name; `mxrelay route` describes the credentials without the password."""

import base64
import json
import re
import unittest
from pathlib import Path

from harness import (
    AddressBlock,
    E2eTestCase,
    Mxrelay,
    Nsd,
    SmtpSink,
    free_port,
    parse_metric_samples,
    render_zone,
    self_signed_certificate,
    send_smtplib,
    transport_table,
    wait_until,
    write_credentials,
)

SENDER = "sender@client.example"
RECIPIENT = "user@destination.example"
USERNAME = "relayuser"
PASSWORD = "Tr0ub4dor&3-smart-host"
WRONG_PASSWORD = "not-the-password-9"
SINK_NAME = "smarthost.mxrelay-test.example"
AUTH_FAILURES = "mxrelay_outbound_auth_failures_total"
TLS_VERSION = r"^TLSv1\.[23]$"


def auth_table(directory, password, name="isp", username=USERNAME):
    """TOML text of [auth.NAME] with `username` and a fresh 0600 password file."""
    path = Path(directory) / f"{name}.password"
    path.write_text(password + "\n")
    path.chmod(0o600)
    return f'\n[auth.{name}]\nusername = "{username}"\npassword_file = "{path}"\n'


def secrets_of(password, username=USERNAME):
    """Every form in which a client could put the password on the wire or in a log: as is,
    AUTH PLAIN's base64("\\0user\\0password") and AUTH LOGIN's base64("password")."""
    return [
        password.encode(),
        base64.b64encode(f"\0{username}\0{password}".encode()),
        base64.b64encode(password.encode()),
    ]


def auth_failure_samples(relay):
    """{transport key: value} of every mxrelay_outbound_auth_failures_total sample."""
    return {
        dict(labels).get("transport"): value
        for (name, labels), value in parse_metric_samples(relay.metrics_text()).items()
        if name == AUTH_FAILURES
    }


class SmartHostCase(E2eTestCase):
    """One sink on 127.x.y.10 and the relay routing "*" to it."""

    def setUp(self):
        super().setUp()
        self.sink_address = self.block.host(10)
        self.sink_port = free_port(self.sink_address)
        self.relay = None

    def certificate(self, name=SINK_NAME):
        return self_signed_certificate(self.workdir / "tls" / name, name)

    def start_sink(self, **options):
        self.sink = self.start(
            SmtpSink(self.workdir, "smarthost", self.sink_address, self.sink_port, **options)
        )
        return self.sink

    def sink_host(self):
        return f"[{self.sink_address}]:{self.sink_port}"

    def start_relay(self, entry, password=PASSWORD, overrides=None):
        """The relay with "*" = `entry` (host: the sink unless given) and [auth.isp]."""
        entry = {"host": self.sink_host(), **entry}
        extra = transport_table({"*": entry}) + auth_table(self.workdir, password)
        self.relay = self.start(Mxrelay(self.workdir, self.block, overrides, extra_toml=extra))
        return self.relay

    def send(self, subject="smart host"):
        send_smtplib(self.relay.smtp_server, SENDER, RECIPIENT, subject=subject)
        return self.relay.wait_for_log(event="accepted")["queue_id"]

    def assert_not_in_relay_output(self, password, *texts):
        """The password, in none of its wire forms, is in the relay's log or in `texts`."""
        log = self.relay.process.log_path.read_bytes()
        for secret in secrets_of(password):
            self.assertNotIn(secret, log, "the relay logged the password")
            for text in texts:
                self.assertNotIn(secret.decode(), text)

    def assert_deferred_without_bounce(self, queue_id):
        entry = self.relay.queue_entry(queue_id)
        self.assertIsNotNone(entry, "the message left the queue")
        self.assertEqual(entry["recipients"], [{"address": RECIPIENT, "state": "pending"}])
        self.assertEqual(self.relay.log_events(event="delivery", status="bounced"), [])
        self.assertEqual(self.relay.log_events(event="delivery", status="sent"), [])
        self.assertEqual(self.relay.log_events(event="dsn"), [], "a DSN was generated")


class SinkSmartHostTest(SmartHostCase):
    def test_auth_plain_over_starttls_delivers(self):
        self.start_sink(tls=self.certificate(), auth=(USERNAME, PASSWORD), raw=True)
        relay = self.start_relay({"tls": "encrypt", "auth": "isp"})
        self.assertEqual(auth_failure_samples(relay), {"*": 0.0})

        queue_id = self.send()
        (message,) = self.sink.wait_for_messages(1)
        self.assertEqual(message["auth_username"], USERNAME)
        self.assertRegex(message["tls"] or "", TLS_VERSION, "the message came in plaintext")
        self.assertEqual(message["rcpt_tos"], [RECIPIENT])
        (auth,) = self.sink.auth_events()
        self.assertEqual((auth["username"], auth["success"]), (USERNAME, True), auth)
        self.assertEqual(auth["mechanism"], "PLAIN", "PLAIN is offered and preferred")
        self.assertRegex(auth["tls"] or "", TLS_VERSION, "AUTH came before STARTTLS")

        delivery = relay.wait_for_log(event="delivery", queue_id=queue_id, status="sent")
        self.assertEqual(delivery["dsn"], "2.0.0", delivery["_line"])
        relay.wait_for_log(event="removed", queue_id=queue_id)
        self.assertEqual(relay.log_events(event="outbound_auth_failed"), [])
        self.assertEqual(auth_failure_samples(relay), {"*": 0.0})

        raw = self.sink.raw_bytes()
        plaintext, starttls, _ = raw.partition(b"STARTTLS\r\n")
        self.assertTrue(starttls, f"no STARTTLS on the wire: {raw[:200]!r}")
        self.assertIsNone(re.search(rb"(?im)^AUTH\b", plaintext), plaintext)
        for secret in secrets_of(PASSWORD):
            self.assertNotIn(secret, raw, "the password crossed the wire in plaintext")
        self.assert_not_in_relay_output(PASSWORD)

    def test_auth_login_when_the_server_offers_only_login(self):
        self.start_sink(tls=self.certificate(), auth=(USERNAME, PASSWORD),
                        auth_mechanisms=["LOGIN"])
        self.start_relay({"tls": "encrypt", "auth": "isp"})

        queue_id = self.send()
        (message,) = self.sink.wait_for_messages(1)
        self.assertEqual(message["auth_username"], USERNAME)
        (auth,) = self.sink.auth_events()
        self.assertEqual((auth["mechanism"], auth["success"]), ("LOGIN", True), auth)
        self.relay.wait_for_log(event="delivery", queue_id=queue_id, status="sent")

    def test_wrong_password_defers_and_is_reported(self):
        self.start_sink(tls=self.certificate(), auth=(USERNAME, PASSWORD))
        relay = self.start_relay({"tls": "encrypt", "auth": "isp"}, password=WRONG_PASSWORD)
        self.assertEqual(auth_failure_samples(relay), {"*": 0.0}, "no sample at 0 from the start")

        queue_id = self.send()
        failed = relay.wait_for_log(event="outbound_auth_failed", queue_id=queue_id)
        self.assertEqual(failed["transport"], "*", failed["_line"])
        self.assertEqual(failed["sasl_username"], USERNAME, failed["_line"])
        self.assertIn(f"[{self.sink_address}]:{self.sink_port}", failed["relay"], failed["_line"])
        self.assertTrue(failed["reply"].startswith("535 5.7.8"), failed["_line"])
        self.assertIn("Authentication credentials invalid", failed["reply"])

        deferred = relay.wait_for_log(event="delivery", queue_id=queue_id, status="deferred")
        self.assertIn("535", deferred["reply"], deferred["_line"])
        self.assertIn("Authentication credentials invalid", deferred["reply"], deferred["_line"])
        wait_until(lambda: auth_failure_samples(relay).get("*", 0) >= 1, 10,
                   f'{AUTH_FAILURES}{{transport="*"}} >= 1')

        # The retry (every second) is rejected the same way; the message stays queued.
        relay.wait_for_logs(2, event="outbound_auth_failed", queue_id=queue_id)
        relay.wait_for_logs(2, event="delivery", queue_id=queue_id, status="deferred")
        self.assert_deferred_without_bounce(queue_id)
        shown, code = relay.queue("show", queue_id)
        self.assertEqual(code, 0, shown)
        self.assertIn("535", shown["entry"]["last_error"], shown)

        self.assertEqual(self.sink.messages(), [])
        attempts = self.sink.auth_events()
        self.assertGreaterEqual(len(attempts), 2)
        self.assertEqual({(a["username"], a["success"]) for a in attempts}, {(USERNAME, False)})
        self.assert_not_in_relay_output(WRONG_PASSWORD, json.dumps(shown))

    def test_no_starttls_with_tls_may_never_sends_the_credentials(self):
        # The server offers AUTH in plaintext and would accept it: the relay must not use it.
        self.start_sink(auth=(USERNAME, PASSWORD), auth_without_tls=True, raw=True)
        relay = self.start_relay({"tls": "may", "auth": "isp"})

        queue_id = self.send()
        deferred = relay.wait_for_log(event="delivery", queue_id=queue_id, status="deferred")
        self.assertEqual(deferred["dsn"], "4.7.4", deferred["_line"])
        self.assertIn(self.sink_address, deferred["reply"], deferred["_line"])
        self.assertIn("TLS", deferred["reply"].upper(), deferred["_line"])
        # Every session the relay opened has ended, so the capture is complete.
        self.sink.wait_for_connections(1)
        wait_until(lambda: len(self.sink.disconnections()) >= len(self.sink.connections()),
                   20, "the relay's sessions with the sink to end")

        raw = self.sink.raw_bytes()
        self.assertRegex(raw, rb"(?m)^EHLO ", "the relay did not even say EHLO")
        self.assertIsNone(re.search(rb"(?im)^AUTH\b", raw), raw)
        for secret in secrets_of(PASSWORD):
            self.assertNotIn(secret, raw, "the password crossed the wire in plaintext")
        self.assertEqual(self.sink.auth_events(), [])
        self.assertEqual(self.sink.messages(), [])
        self.assert_deferred_without_bounce(queue_id)
        self.assert_not_in_relay_output(PASSWORD)

    def test_tls_none_with_auth_defers_without_connecting(self):
        self.start_sink(auth=(USERNAME, PASSWORD), auth_without_tls=True, raw=True)
        relay = self.start_relay({"tls": "none", "auth": "isp"})

        queue_id = self.send()
        deferred = relay.wait_for_log(event="delivery", queue_id=queue_id, status="deferred")
        self.assertEqual(deferred["dsn"], "4.7.4", deferred["_line"])
        self.assertIn(self.sink_address, deferred["reply"], deferred["_line"])
        self.assertIn("TLS", deferred["reply"].upper(), deferred["_line"])
        relay.wait_for_logs(2, event="delivery", queue_id=queue_id, status="deferred")
        self.assertEqual(self.sink.connections(), [], "the relay connected")
        self.assertEqual(self.sink.raw_bytes(), b"")
        self.assert_deferred_without_bounce(queue_id)

    def test_implicit_tls_with_auth_delivers(self):
        self.start_sink(tls=self.certificate(), implicit_tls=True, auth=(USERNAME, PASSWORD),
                        raw=True)
        relay = self.start_relay({"implicit_tls": True, "tls": "encrypt", "auth": "isp"})

        queue_id = self.send()
        (message,) = self.sink.wait_for_messages(1)
        self.assertRegex(message["tls"] or "", TLS_VERSION)
        self.assertEqual(message["auth_username"], USERNAME)
        relay.wait_for_log(event="delivery", queue_id=queue_id, status="sent")
        tls = relay.wait_for_log(event="tls", queue_id=queue_id)
        self.assertRegex(tls["version"], TLS_VERSION, tls["_line"])

        raw = self.sink.raw_bytes()
        self.assertEqual(raw[:1], b"\x16", f"the first byte is no TLS handshake: {raw[:40]!r}")
        self.assertNotIn(b"EHLO", raw, "SMTP in plaintext on an implicit-TLS port")
        self.assertNotIn(b"STARTTLS", raw)

    def test_route_describes_the_credentials_without_the_password(self):
        # Only the config file is needed: `route` runs without a relay.
        entry = {"host": self.sink_host(), "tls": "encrypt", "auth": "isp"}
        extra = transport_table({"*": entry}) + auth_table(self.workdir, PASSWORD)
        relay = Mxrelay(self.workdir, self.block, extra_toml=extra)

        text = relay.run_command("route", "-c", relay.config_path, "destination.example")
        self.assertEqual(text.returncode, 0, text.stdout + text.stderr)
        self.assertIn(f'auth: user "{USERNAME}" from [auth.isp]', text.stdout)
        self.assertIn("sent only over TLS", text.stdout)

        done = relay.run_command("route", "-c", relay.config_path, "destination.example", "--json")
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        auth = json.loads(done.stdout).get("auth")
        self.assertIsInstance(auth, dict, done.stdout)
        self.assertEqual(
            {key: auth.get(key) for key in ("table", "username", "tls_required")},
            {"table": "isp", "username": USERNAME, "tls_required": True},
            auth,
        )
        for output in (text.stdout, text.stderr, done.stdout, done.stderr):
            for secret in secrets_of(PASSWORD):
                self.assertNotIn(secret.decode(), output, "route printed the password")


class MxrelayUpstreamTest(E2eTestCase):
    """A second mxrelay (its own address block) as the smart host: STARTTLS, AUTH against
    its credentials file, relaying only for authenticated clients, everything to a sink."""

    def test_authenticated_relay_through_a_second_mxrelay(self):
        sink_address = self.block.host(10)
        sink = self.start(SmtpSink(self.workdir, "sink", sink_address, free_port(sink_address)))

        upstream_block = AddressBlock.random()
        while upstream_block.prefix == self.block.prefix:
            upstream_block = AddressBlock.random()
        cert, key = self_signed_certificate(self.workdir / "tls", "upstream.mxrelay.example")
        credentials = write_credentials(self.workdir / "credentials", USERNAME, PASSWORD)
        upstream = self.start(Mxrelay(
            self.workdir / "upstream", upstream_block,
            {"server": {
                "hostname": "upstream.mxrelay.example",
                "tls_cert_file": str(cert),
                "tls_key_file": str(key),
                "credentials_file": str(credentials),
                # Nobody relays by address: without AUTH the relay would get 554 5.7.1.
                "relay_networks": [f"{upstream_block.host(254)}/32"],
            }},
            extra_toml=transport_table({"*": {"host": f"[{sink_address}]:{sink.port}"}}),
        ))
        entry = {"host": f"[{upstream.address}]:{upstream.port}", "tls": "encrypt", "auth": "isp"}
        relay = self.start(Mxrelay(
            self.workdir / "relay", self.block,
            extra_toml=transport_table({"*": entry}) + auth_table(self.workdir, PASSWORD),
        ))

        send_smtplib(relay.smtp_server, SENDER, RECIPIENT, subject="through the upstream")
        queue_id = relay.wait_for_log(event="accepted")["queue_id"]
        accepted = upstream.wait_for_log(event="accepted")
        self.assertEqual(accepted.get("sasl_username"), USERNAME, accepted["_line"])
        self.assertRegex(accepted.get("tls", ""), TLS_VERSION, accepted["_line"])
        (message,) = sink.wait_for_messages(1)
        self.assertEqual((message["mail_from"], message["rcpt_tos"]), (SENDER, [RECIPIENT]))
        self.assertIn("Subject: through the upstream", message["data"])
        self.assertIn(" with ESMTPSA id ", message["data"])
        relay.wait_for_log(event="delivery", queue_id=queue_id, status="sent")
        self.assertEqual(relay.log_events(event="outbound_auth_failed"), [])


class VerifiedImplicitTlsTest(E2eTestCase):
    """implicit_tls without `tls`: "verify" against delivery.tls_ca_file and the host name,
    which NSD resolves (smarthost.example zone) to sinks on 127.x.y.30 and .31."""

    def setUp(self):
        super().setUp()
        ns = self.block.host(53)
        zone = render_zone("smarthost.example", NS=ns, NET=self.block.prefix)
        self.nsd = self.start(Nsd(self.workdir, ns, {"smarthost.example": zone}))

    def run_case(self, host, sink_address, certificate_name):
        """A sink on `sink_address` with a certificate for `certificate_name`, trusted as
        the CA; the relay sends one message to it as `host`. Returns (relay, sink, id)."""
        port = free_port(sink_address)
        cert, key = self_signed_certificate(self.workdir / "tls", certificate_name)
        sink = self.start(SmtpSink(self.workdir, "smarthost", sink_address, port,
                                   tls=(cert, key), implicit_tls=True))
        relay = self.start(Mxrelay(
            self.workdir, self.block,
            {"dns": {"stub": self.nsd.stubs()}, "delivery": {"tls_ca_file": str(cert)}},
            extra_toml=transport_table({"*": {"host": f"{host}:{port}", "implicit_tls": True}}),
        ))
        send_smtplib(relay.smtp_server, SENDER, RECIPIENT, subject="verified implicit TLS")
        return relay, sink, relay.wait_for_log(event="accepted")["queue_id"]

    def test_certificate_for_the_host_name_is_verified(self):
        host = "submission.smarthost.example"
        relay, sink, queue_id = self.run_case(host, self.block.host(30), host)
        (message,) = sink.wait_for_messages(1)
        self.assertRegex(message["tls"] or "", TLS_VERSION)
        delivery = relay.wait_for_log(event="delivery", queue_id=queue_id, status="sent")
        self.assertEqual(delivery["relay"], f"{host}[{self.block.host(30)}]:{sink.port}")
        tls = relay.wait_for_log(event="tls", queue_id=queue_id)
        self.assertEqual(tls["policy"], "verify", tls["_line"])
        self.assertRegex(tls["version"], TLS_VERSION, tls["_line"])

    def test_certificate_for_another_name_defers(self):
        relay, sink, queue_id = self.run_case(
            "mismatch.smarthost.example", self.block.host(31), "elsewhere.smarthost.example"
        )
        deferred = relay.wait_for_log(event="delivery", queue_id=queue_id, status="deferred")
        self.assertEqual(deferred["dsn"], "4.7.5", deferred["_line"])
        self.assertEqual(sink.messages(), [], "delivered despite the wrong certificate name")
        self.assertEqual(relay.log_events(event="delivery", status="sent"), [])
        self.assertIsNotNone(relay.queue_entry(queue_id), "the message left the queue")


if __name__ == "__main__":
    unittest.main()
