"""e2e: the /metrics endpoint after real inbound traffic. The scrape passes
`promtool check metrics` without a word, and the inbound families moved as the traffic
says: sessions by result (completed, timeout, error, refused) and active, rejections by
enhanced status code, STARTTLS handshakes by protocol version and result, AUTH attempts by
result, and received messages per client network. Every label name holds one kind of value in
every family."""

import re
import socket
import subprocess
import time
import unittest
from pathlib import Path

from harness import (
    E2eTestCase,
    Mxrelay,
    RawSmtp,
    SmtpSink,
    free_port,
    parse_metric_samples,
    self_signed_certificate,
    send_swaks,
    transport_table,
    wait_until,
    write_credentials,
)

SENDER = "sender@client.example"
RECIPIENT = "user@destination.example"
USER, PASSWORD = "exchange", "correct horse"

ALERT_RULES = Path(__file__).resolve().parents[2] / "packaging" / "prometheus" / "alerts.yml"
# increase(NAME{MATCHERS}[...]) or rate(...) in an alert expression.
COUNTER_IN_ALERT = re.compile(r"\b(?:increase|rate)\((mxrelay_[a-z0-9_]+)(?:\{([^}]*)\})?\[")
MATCHER = re.compile(r'(\w+)(=~|=)"([^"]*)"')


def counters_alerts_watch():
    """[(metric, [(label, op, value)])] for every counter an alert rule takes increase() or
    rate() of, with the rule's label matchers."""
    watched = set()
    for line in ALERT_RULES.read_text().splitlines():
        if line.lstrip().startswith("#"):
            continue
        for name, matchers in COUNTER_IN_ALERT.findall(line):
            watched.add((name, tuple(MATCHER.findall(matchers))))
    return sorted(watched)


def matches(labels, matchers):
    values = dict(labels)
    return all(
        label in values
        and (values[label] == wanted if op == "=" else re.fullmatch(wanted, values[label]))
        for label, op, wanted in matchers
    )


# What each label name may hold, in every family (README, "Metrics"): one meaning per name.
WORD = r"[a-z][a-z0-9_]*"
LABEL_VALUES = {
    "dsn": r"[245]\.\d{1,3}\.\d{1,3}|none",
    "status": r"sent|deferred|bounced",
    "result": WORD,
    "outcome": WORD,
    "reason": WORD,
    "protocol": r"TLSv1(\.[0-3])?|none",
    "destination": r"\S+",
    "transport": r"\S+",
    "operation": WORD,
    "state": WORD,
    "kind": WORD,
    "direction": r"inbound|outbound",
    "type": r"[A-Z]+",
    "policy": r"[a-z-]+",
    "verdict": r"deliver|defer|bounce",
    "action": r"failed|delayed|relayed",
    "network": r"[0-9a-f.:]+/\d+|authenticated|other",
    "domain": r"[a-z0-9.-]+",
    "algorithm": r"rsa-sha256|ed25519-sha256",
    "version": r"\d+\.\d+\.\d+.*",
    "libunbound": r"\d+\.\d+\.\d+.*",
    "openssl": r"\d+\.\d+\.\d+.*",
    "le": r"[0-9.e+]+|\+Inf",
    "site": r"[a-z0-9_-]+",
    "source": r"cache|fetch|none",
    "source_address": r"[0-9a-f.:]+",
    "problem": WORD,
    "mode": r"enforce|testing",
    "reaction": r"suspend|halve_rate|halve_connections",
}


class MetricsTest(E2eTestCase):
    def setUp(self):
        super().setUp()
        self.inside = self.block.host(9)
        sink_address = self.block.host(10)
        self.sink = self.start(
            SmtpSink(self.workdir, "sink", sink_address, free_port(sink_address))
        )
        cert, key = self_signed_certificate(self.workdir / "tls", "relay.mxrelay.example")
        credentials = write_credentials(self.workdir / "credentials", USER, PASSWORD)
        server = {
            "relay_networks": [f"{self.inside}/32"],
            "tls_cert_file": str(cert),
            "tls_key_file": str(key),
            "credentials_file": str(credentials),
            "timeout": "2s",
            "max_connections_per_client": 2,
        }
        route = transport_table({"*": {"host": f"{sink_address}:{self.sink.port}"}})
        self.relay = self.start(
            Mxrelay(self.workdir, self.block, {"server": server}, extra_toml=route)
        )

    def swaks(self, client, *args, expect_success=True):
        return send_swaks(
            self.relay.smtp_server, SENDER, RECIPIENT, local_interface=client,
            extra_args=list(args), expect_success=expect_success,
        )

    def send_traffic(self):
        outside = self.block.host(2)
        self.swaks(self.inside)
        denied = self.swaks(outside, expect_success=False)
        self.assertRegex(denied.transcript, r"<\*\* +554 5\.7\.1")
        auth = ["--tls", "--auth", "PLAIN", "--auth-user", USER]
        wrong = self.swaks(outside, *auth, "--auth-password", "wrong", expect_success=False)
        self.assertRegex(wrong.transcript, r"<~\* +535 5\.7\.8")
        self.swaks(outside, *auth, "--auth-password", PASSWORD)

        with RawSmtp(self.relay.smtp_server, self.block.host(3)) as idle:
            self.assertEqual(idle.reply()[0], 220)
            self.assertEqual(idle.reply()[0], 421)  # after server.timeout
        with RawSmtp(self.relay.smtp_server, self.block.host(4)) as vanishing:
            self.assertEqual(vanishing.reply()[0], 220)
            vanishing.socket.shutdown(socket.SHUT_RDWR)
        crowd = self.block.host(5)
        with RawSmtp(self.relay.smtp_server, crowd) as first, RawSmtp(
            self.relay.smtp_server, crowd
        ) as second:
            self.assertEqual((first.reply()[0], second.reply()[0]), (220, 220))
            with RawSmtp(self.relay.smtp_server, crowd) as third:
                self.assertEqual(third.reply()[0], 421)
            self.assertEqual((first.command("QUIT")[0], second.command("QUIT")[0]), (221, 221))
        self.sink.wait_for_messages(2)

    def samples_when_idle(self):
        """The samples once every inbound session begun has ended (the harness's readiness
        probe is one: it connects and leaves)."""
        relay = self.relay

        def idle():
            samples = parse_metric_samples(relay.metrics_text())
            begun = samples.get(("mxrelay_smtp_sessions_total", (("direction", "inbound"),)), 0)
            ended = sum(
                value for (name, labels), value in samples.items()
                if name == "mxrelay_inbound_sessions_total" and labels != (("result", "refused"),)
            )
            active = samples.get(("mxrelay_inbound_sessions_active", ()), -1)
            return samples if begun >= 1 and begun == ended and active == 0 else None

        return wait_until(idle, 10.0, "every inbound session to end")

    def test_build_info_names_the_libunbound_and_openssl_in_use(self):
        done = self.relay.run_command("version")
        self.assertEqual(done.returncode, 0, done.stderr)
        versions = dict(line.split(" ", 1) for line in done.stdout.splitlines())
        self.assertRegex(versions["libunbound"], r"^\d+\.\d+\.\d+")
        labels = (("libunbound", versions["libunbound"]), ("openssl", versions["OpenSSL"]),
                  ("version", versions["mxrelay"]))
        samples = parse_metric_samples(self.relay.metrics_text())
        self.assertEqual(samples.get(("mxrelay_build_info", labels)), 1.0, samples.keys())

    def test_every_series_an_alert_increases_exists_at_zero_from_the_start(self):
        samples = parse_metric_samples(self.relay.metrics_text())
        watched = counters_alerts_watch()
        self.assertGreaterEqual(len(watched), 8, "the alert rules were not read")
        for name, matchers in watched:
            if name == "mxrelay_outbound_auth_failures_total":
                continue  # one series per transport entry with auth; this relay has none
            with self.subTest(metric=name, matchers=matchers):
                at_start = [value for (sample, labels), value in samples.items()
                            if sample == name and matches(labels, matchers)]
                self.assertTrue(at_start, "an alert watches a series the relay does not export")
                self.assertEqual(set(at_start), {0.0})
        for name, labels in [
            ("mxrelay_disk_errors_total", (("operation", "commit"),)),
            ("mxrelay_disk_errors_total", (("operation", "store"),)),
            ("mxrelay_recipient_attempts_total", (("status", "deferred"),)),
            ("mxrelay_dns_lookups_total", (("outcome", "servfail"), ("type", "MX"))),
            ("mxrelay_outbound_tls_total", (("outcome", "failed"), ("policy", "dane-only"))),
            ("mxrelay_spool_store_failures_total", ()),
            ("mxrelay_dkim_errors_total", ()),
            ("mxrelay_dkim_unsigned_total", (("reason", "no_key"),)),
        ]:
            self.assertEqual(samples.get((name, labels)), 0.0, f"{name}{dict(labels)} is missing")

    def test_process_metrics_describe_the_relay_process(self):
        samples = parse_metric_samples(self.relay.metrics_text())
        self.assertGreater(samples[("process_resident_memory_bytes", ())], 1e6)
        self.assertGreater(samples[("process_open_fds", ())], 3)
        self.assertGreaterEqual(samples[("process_max_fds", ())], samples[("process_open_fds", ())])
        self.assertGreaterEqual(samples[("process_cpu_seconds_total", ())], 0)
        self.assertLess(abs(samples[("process_start_time_seconds", ())] - time.time()), 120)

    def test_inbound_counters_move_and_promtool_accepts_the_scrape(self):
        relay = self.relay
        before = self.samples_when_idle()
        self.send_traffic()
        self.samples_when_idle()
        relay.wait_for_logs(2, event="removed")

        text = relay.metrics_text()
        check = subprocess.run(
            ["promtool", "check", "metrics"], input=text, capture_output=True, text=True,
            timeout=30,
        )
        self.assertEqual(
            (check.returncode, check.stdout + check.stderr), (0, ""), "promtool check metrics"
        )

        expected = [
            ("mxrelay_inbound_rejections_total", {"dsn": "5.7.1"}, 1),
            ("mxrelay_inbound_rejections_total", {"dsn": "5.7.8"}, 1),
            ("mxrelay_inbound_rejections_total", {"dsn": "4.4.2"}, 1),
            ("mxrelay_inbound_rejections_total", {"dsn": "4.7.0"}, 1),
            ("mxrelay_inbound_tls_handshakes_total", {"protocol": "TLSv1.3", "result": "success"}, 2),
            ("mxrelay_inbound_auth_attempts_total", {"result": "success"}, 1),
            ("mxrelay_inbound_auth_attempts_total", {"result": "failure"}, 1),
            ("mxrelay_inbound_auth_attempts_total", {"result": "locked_out"}, 0),
            ("mxrelay_inbound_messages_by_network_total", {"network": f"{self.inside}/32"}, 1),
            ("mxrelay_inbound_messages_by_network_total", {"network": "authenticated"}, 1),
            ("mxrelay_messages_received_total", {}, 2),
            ("mxrelay_smtp_sessions_total", {"direction": "inbound"}, 8),
            ("mxrelay_inbound_sessions_total", {"result": "completed"}, 6),
            ("mxrelay_inbound_sessions_total", {"result": "timeout"}, 1),
            ("mxrelay_inbound_sessions_total", {"result": "error"}, 1),
            ("mxrelay_inbound_sessions_total", {"result": "refused"}, 1),
            ("mxrelay_messages_delivered_total", {}, 2),
        ]
        after = parse_metric_samples(text)
        for name, labels in after:
            if not name.startswith("mxrelay_"):
                continue  # prometheus-cpp's own exposer_* families
            for label, value in labels:
                with self.subTest(metric=name, label=label):
                    self.assertIn(label, LABEL_VALUES, "a label name the README does not define")
                    self.assertRegex(value, f"^(?:{LABEL_VALUES[label]})$")
        for name, labels, value in expected:
            key = (name, tuple(sorted(labels.items())))
            with self.subTest(metric=name, **labels):
                self.assertEqual(after.get(key, 0) - before.get(key, 0), value)
        self.assertGreater(relay.metric("mxrelay_received_bytes_total"), 500)
        self.assertIn("# HELP mxrelay_inbound_rejections_total ", text)
        self.assertIn("# TYPE mxrelay_inbound_sessions_active gauge", text)


if __name__ == "__main__":
    unittest.main()
