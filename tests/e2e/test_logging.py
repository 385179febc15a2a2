"""e2e: the logs that Postfix's tools read. One scenario (two messages relayed from inside
relay_networks, a relay attempt and a failed AUTH from outside) in each log.format:
pflogsumm (--syslog-name=mxrelay) counts the postfix-format log as it counts Postfix's,
fail2ban-regex with the shipped filter matches exactly the failed AUTH and the relay attempt
in every format, JSON numbers are numbers; and under journald (JOURNAL_STREAM naming
stderr) each record reaches the journal socket natively, with its priority and program,
and nothing goes to stderr."""

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import unittest
from pathlib import Path

from harness import (
    E2eTestCase,
    Mxrelay,
    Nsd,
    SmtpSink,
    free_port,
    render_zone,
    self_signed_certificate,
    send_swaks,
    wait_until,
    write_credentials,
)

SENDER = "sender@client.example"
RECIPIENT = "user@relay.example"
AUTH_USER = "domino"
AUTH_PASSWORD = "right password"
FILTER = Path(__file__).resolve().parents[2] / "packaging/fail2ban/filter.d/mxrelay.conf"


class LoggingTest(E2eTestCase):
    def start_relay(self, log_format, process_wrapper=None, env=None):
        ns = self.block.host(53)
        zones = {
            zone: render_zone(zone, NS=ns, NET=self.block.prefix)
            for zone in ("relay.example", "relay-target.example")
        }
        self.nsd = self.start(Nsd(self.workdir, ns, zones))
        mx = self.block.host(10)
        self.sink = self.start(SmtpSink(self.workdir, "mx1", mx, free_port(mx)))
        cert, key = self_signed_certificate(self.workdir / "tls", "relay.mxrelay.example")
        credentials = write_credentials(self.workdir / "credentials", AUTH_USER, AUTH_PASSWORD)
        self.inside, self.outside = self.block.host(9), self.block.host(2)
        relay = Mxrelay(
            self.workdir,
            self.block,
            {
                "server": {
                    "relay_networks": [f"{self.inside}/32"],
                    "tls_cert_file": str(cert),
                    "tls_key_file": str(key),
                    "credentials_file": str(credentials),
                },
                "dns": {"stub": self.nsd.stubs()},
                "delivery": {"port": self.sink.port},
                "log": {"format": log_format},
            },
        )
        if process_wrapper:
            relay.process.argv = process_wrapper(relay.process.argv)
        if env:
            relay.process.env = {**os.environ, **env(relay.process.log_path)}
        self.relay = self.start(relay)

    def run_scenario(self):
        """Two messages relayed, one relay attempt refused, one failed AUTH."""
        for _ in range(2):
            send_swaks(self.relay.smtp_server, SENDER, RECIPIENT, local_interface=self.inside)
        refused = send_swaks(self.relay.smtp_server, SENDER, RECIPIENT,
                             local_interface=self.outside, expect_success=False)
        self.assertRegex(refused.transcript, r"<\*\* +554[ -]5\.7\.1")
        failed = send_swaks(
            self.relay.smtp_server, SENDER, RECIPIENT, local_interface=self.outside,
            extra_args=["--tls", "--auth", "PLAIN", "--auth-user", AUTH_USER,
                        "--auth-password", "wrong password"],
            expect_success=False,
        )
        self.assertRegex(failed.transcript, r"<~\* +535[ -]5\.7\.8")
        self.sink.wait_for_messages(2)

    def log_text(self):
        return self.relay.process.log_path.read_text(errors="replace")

    def wait_for_log_lines(self, pattern, count):
        wait_until(lambda: len(re.findall(pattern, self.log_text(), re.M)) >= count, 20.0,
                   f"{count} log lines matching {pattern}")

    def fail2ban_matches(self):
        done = subprocess.run(
            ["fail2ban-regex", str(self.relay.process.log_path), str(FILTER)],
            capture_output=True, text=True, timeout=120, check=True,
        )
        lines = re.search(r"^Lines: (\d+) lines, \d+ ignored, (\d+) matched", done.stdout, re.M)
        self.assertIsNotNone(lines, done.stdout)
        banned = re.findall(r"^\s+(?:\d+\) )?\[?(\d+)\]?\s*$", done.stdout, re.M)
        return int(lines.group(2)), done.stdout, banned

    @unittest.skipUnless(shutil.which("pflogsumm"), "pflogsumm not installed")
    def test_postfix_format_is_read_by_pflogsumm_and_fail2ban(self):
        self.start_relay("postfix")
        self.run_scenario()
        self.wait_for_log_lines(r"mxrelay/qmgr\[\d+\]: \w+: removed$", 2)
        log = self.log_text()
        host = r"\S+"
        self.assertRegex(log, rf"Z {host} mxrelay/smtpd\[\d+\]: connect from unknown\[{re.escape(self.inside)}\]")
        self.assertRegex(log, r"mxrelay/smtpd\[\d+\]: \w+: client=unknown\[")
        self.assertRegex(log, r"mxrelay/qmgr\[\d+\]: \w+: from=<sender@client\.example>, size=\d+, nrcpt=1 \(queue active\)")
        sent = re.findall(
            r"mxrelay/smtp\[\d+\]: \w+: to=<user@relay\.example>, relay=mx1\.relay-target\.example"
            r"\[[\d.]+\]:\d+, delay=([\d.]+), delays=([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+), "
            r"dsn=2\.\d\.\d, status=sent \(250 ", log)
        self.assertEqual(len(sent), 2, log)
        for delay, a, b, c, d in sent:
            self.assertEqual(a, "0")
            self.assertLessEqual(float(b) + float(c) + float(d), float(delay) + 0.03)
        self.assertRegex(log, rf"mxrelay/smtpd\[\d+\]: NOQUEUE: reject: RCPT from unknown\[{re.escape(self.outside)}\]: 554 5\.7\.1 Relay access denied; from=<sender@client\.example> to=<user@relay\.example> proto=ESMTP helo=<")
        self.assertRegex(log, rf"mxrelay/smtpd\[\d+\]: warning: unknown\[{re.escape(self.outside)}\]: SASL PLAIN authentication failed")
        self.assertNotIn("event=connect", log)

        summary = subprocess.run(
            ["pflogsumm", "--syslog-name=mxrelay", str(self.relay.process.log_path)],
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout
        totals = dict((name, int(count)) for count, name in
                      re.findall(r"^\s+(\d+)\s+(received|delivered|deferred|bounced|rejected)\b",
                                 summary, re.M))
        self.assertEqual(totals.get("received"), 2, summary)
        self.assertEqual(totals.get("delivered"), 2, summary)
        self.assertEqual(totals.get("deferred"), 0, summary)
        self.assertEqual(totals.get("bounced"), 0, summary)
        # The refused relay attempt and the refused AUTH.
        self.assertEqual(totals.get("rejected"), 2, summary)
        self.assertIn("relay.example", summary)

        matched, output, _ = self.fail2ban_matches()
        self.assertEqual(matched, 2, output)

    def test_text_format_is_read_by_fail2ban(self):
        self.start_relay("text")
        self.run_scenario()
        self.relay.wait_for_logs(2, event="removed")
        auth = self.relay.wait_for_log(event="auth", result="failure")
        self.assertEqual(auth["mechanism"], "PLAIN")
        delivery = self.relay.wait_for_log(event="delivery", status="sent")
        for key in ("delay", "delay_before_queue", "delay_in_queue", "delay_connection",
                    "delay_transmission"):
            self.assertRegex(delivery[key], r"^\d+(\.\d{1,3})?$", delivery["_line"])
        matched, output, _ = self.fail2ban_matches()
        self.assertEqual(matched, 2, output)

    def test_json_format_has_numbers_and_severities_and_is_read_by_fail2ban(self):
        self.start_relay("json")
        self.run_scenario()

        def events():
            out = []
            for line in self.log_text().splitlines():
                if line.startswith("{"):
                    out.append(json.loads(line))
            return out

        wait_until(lambda: sum(e["event"] == "removed" for e in events()) >= 2, 20.0,
                   "two removed events")
        by_event = {}
        for event in events():
            by_event.setdefault(event["event"], []).append(event)
        delivery = by_event["delivery"][0]
        self.assertIsInstance(delivery["delay"], (int, float))
        self.assertIsInstance(delivery["delay_transmission"], (int, float))
        self.assertEqual(delivery["severity"], "info")
        accepted = by_event["accepted"][0]
        self.assertIsInstance(accepted["size"], int)
        self.assertIsInstance(accepted["nrcpt"], int)
        self.assertEqual(by_event["started"][0]["severity"], "notice")
        failures = [e for e in by_event["auth"] if e["result"] == "failure"]
        self.assertEqual([e["severity"] for e in failures], ["warning"])
        matched, output, _ = self.fail2ban_matches()
        self.assertEqual(matched, 2, output)

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("unshare"),
                         "needs root for a private /run/systemd/journal")
    def test_journald_gets_native_records_with_priorities(self):
        journal_dir = self.workdir / "journal"
        journal_dir.mkdir()
        receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        receiver.bind(str(journal_dir / "socket"))
        receiver.settimeout(0.2)
        self.addCleanup(receiver.close)
        records = []
        done = threading.Event()

        # journald reads its socket at once; so does this reader, or the relay would block.
        def read_journal():
            while not done.is_set():
                try:
                    datagram = receiver.recv(65536).decode()
                except socket.timeout:
                    continue
                records.append(dict(line.split("=", 1)
                                    for line in datagram.splitlines() if "=" in line))

        reader = threading.Thread(target=read_journal, daemon=True)
        reader.start()
        self.addCleanup(reader.join)
        self.addCleanup(done.set)
        Path("/run/systemd/journal").mkdir(parents=True, exist_ok=True)

        def private_journal(argv):
            return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                    'mount --bind "$0" /run/systemd/journal && exec "$@"', str(journal_dir),
                    *argv]

        def journal_stream(log_path):
            log_path.touch()
            st = os.stat(log_path)
            return {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}

        self.start_relay("postfix", private_journal, journal_stream)
        self.run_scenario()

        def received_removed():
            return sum(r.get("MESSAGE", "").endswith(": removed") for r in list(records)) >= 2

        wait_until(received_removed, 20.0, "two removed records in the journal")
        started = [r for r in records if r.get("MXRELAY_EVENT") == "started"]
        self.assertEqual(len(started), 1, records)
        self.assertEqual(started[0]["PRIORITY"], "5")
        self.assertEqual(started[0]["SYSLOG_IDENTIFIER"], "mxrelay/master")
        sent = [r for r in records if r.get("MXRELAY_EVENT") == "delivery"]
        self.assertEqual(len(sent), 2, records)
        for record in sent:
            self.assertEqual(record["PRIORITY"], "6")
            self.assertEqual(record["SYSLOG_IDENTIFIER"], "mxrelay/smtp")
            self.assertRegex(record["MESSAGE"], r"^\w+: to=<user@relay\.example>, relay=")
            self.assertEqual(record["MXRELAY_QUEUE_ID"], record["MESSAGE"].split(":")[0])
        auth = [r for r in records if r.get("MXRELAY_EVENT") == "auth"]
        self.assertEqual([r["PRIORITY"] for r in auth], ["4"])
        self.assertRegex(auth[0]["MESSAGE"], r"^warning: unknown\[[\d.]+\]: SASL PLAIN")
        # No timestamp or prefix of our own: the journal adds them, and stderr stays empty.
        self.assertFalse(any(re.match(r"^\d{4}-", r.get("MESSAGE", "")) for r in records))
        self.assertEqual(self.log_text().strip(), "")


if __name__ == "__main__":
    unittest.main()
