"""e2e: SMTP TLS Reporting (RFC 8460) through the whole relay. NSD serves tlsrpt.example:
  good     MTA-STS enforce, MX with a certificate from the test CA  -> delivered (success)
  bad      MTA-STS enforce, MX with a self-signed certificate       -> deferred
                                                                      (certificate-not-trusted)
  testing  MTA-STS testing not listing its MX, verified certificate  -> delivered
                                                                      (validation-failure)
  plain    no policy, MX without STARTTLS                           -> delivered
                                                                      (no-policy-found,
                                                                      starttls-not-supported)
good publishes _smtp._tls with an https: rua (a second HTTPS server on its own port) and a
mailto: rua (a sink for reports.tlsrpt.example); bad and testing an https: rua only; plain
none. After
the deliveries the relay is restarted (the counters must survive it), then `mxrelay
tls-report send-now` closes the period: the HTTPS receiver must get a POST of
application/tlsrpt+gzip per domain whose JSON has RFC 8460 section 4's structure and the
counts of what happened, and the mailto: sink a multipart/report (report-type tlsrpt) with
the RFC's header fields and the gzip'd JSON as application/tlsrpt+gzip. A POST answered 500
keeps the report for that rua alone, and the next send-now delivers the same report; a
corrupt counter file is set aside without stopping the relay.
"""

import email
import email.policy
import gzip
import json
import time
import unittest

from harness import (
    E2eTestCase,
    HttpsServer,
    Mxrelay,
    Nsd,
    SmtpSink,
    ca_signed_certificate,
    free_port,
    make_test_ca,
    self_signed_certificate,
    send_smtplib,
    wait_until,
)

SENDER = "sender@client.example"
ZONE = "tlsrpt.example"
POLICY_PATH = "/.well-known/mta-sts.txt"
REPORT_PATH = "/tlsrpt/v1"
REPORT_ADDRESS = f"tlsrpt@reports.{ZONE}"
MEDIA_TYPE = "application/tlsrpt+gzip"
SUBMITTER = "relay.mxrelay.example"
ORGANIZATION = "Example Relay Org"
DATETIME = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"


def domain(name):
    return f"{name}.{ZONE}"


def sts_policy(mode, mx):
    return f"version: STSv1\r\nmode: {mode}\r\nmx: {mx}\r\nmax_age: 86400\r\n".encode()


POLICIES = {"good": sts_policy("enforce", f"mx.{domain('good')}"),
            "bad": sts_policy("enforce", f"mx.{domain('bad')}"),
            "testing": sts_policy("testing", f"mx.elsewhere.{ZONE}")}


class Schema:
    """RFC 8460 section 4: the members a report must have, with their JSON types."""

    def __init__(self, test):
        self.test = test

    def member(self, obj, name, kind):
        self.test.assertIn(name, obj, f"missing {name}")
        self.test.assertIsInstance(obj[name], kind, f"{name} is not {kind.__name__}")
        return obj[name]

    def report(self, report):
        self.test.assertIsInstance(report, dict)
        self.member(report, "organization-name", str)
        dates = self.member(report, "date-range", dict)
        self.test.assertRegex(self.member(dates, "start-datetime", str), DATETIME)
        self.test.assertRegex(self.member(dates, "end-datetime", str), DATETIME)
        self.member(report, "contact-info", str)
        self.member(report, "report-id", str)
        for entry in self.member(report, "policies", list):
            policy = self.member(entry, "policy", dict)
            self.test.assertIn(self.member(policy, "policy-type", str),
                               ("sts", "tlsa", "no-policy-found"))
            self.member(policy, "policy-domain", str)
            for key in ("policy-string", "mx-host"):
                if key in policy:
                    self.test.assertTrue(all(isinstance(s, str) for s in policy[key]))
            summary = self.member(entry, "summary", dict)
            self.member(summary, "total-successful-session-count", int)
            self.member(summary, "total-failure-session-count", int)
            for detail in entry.get("failure-details", []):
                self.member(detail, "result-type", str)
                self.member(detail, "failed-session-count", int)
                for key in ("sending-mta-ip", "receiving-mx-hostname", "receiving-ip"):
                    if key in detail:
                        self.test.assertIsInstance(detail[key], str)
        return report


class TlsReportTest(E2eTestCase):
    def setUp(self):
        super().setUp()
        self.sent = 0
        self.trusted_address = self.block.host(10)
        self.untrusted_address = self.block.host(11)
        self.plain_address = self.block.host(12)
        self.reports_address = self.block.host(13)
        self.sts_address = self.block.host(20)
        self.receiver_address = self.block.host(21)
        self.port = free_port(self.trusted_address)
        self.receiver_port = free_port(self.receiver_address)
        tls = self.workdir / "tls"
        self.ca = make_test_ca(tls / "ca")
        trusted = ca_signed_certificate(self.ca, tls / "trusted", f"mx.{domain('good')}",
                                        [f"mx.{domain('testing')}"])
        untrusted = self_signed_certificate(tls / "untrusted", f"mx.{domain('bad')}")
        sts_cert = ca_signed_certificate(self.ca, tls / "sts", f"mta-sts.{domain('good')}",
                                         [f"mta-sts.{domain(n)}" for n in ("bad", "testing")])
        receiver_cert = ca_signed_certificate(self.ca, tls / "receiver", f"reports.{ZONE}")

        self.nsd = self.start(Nsd(self.workdir, self.block.host(53), {ZONE: self.zone()}))
        self.trusted = self.start(SmtpSink(self.workdir, "trusted", self.trusted_address,
                                           self.port, tls=trusted))
        self.untrusted = self.start(SmtpSink(self.workdir, "untrusted", self.untrusted_address,
                                             self.port, tls=untrusted))
        self.plain = self.start(SmtpSink(self.workdir, "plain", self.plain_address, self.port))
        self.reports = self.start(SmtpSink(self.workdir, "reports", self.reports_address,
                                           self.port))
        routes = {(f"mta-sts.{domain(n)}", POLICY_PATH): (200, {"Content-Type": "text/plain"}, body)
                  for n, body in POLICIES.items()}
        self.sts = self.start(HttpsServer(self.sts_address, 443, *sts_cert, routes))
        self.receiver = self.start(HttpsServer(
            self.receiver_address, self.receiver_port, *receiver_cert,
            {(f"reports.{ZONE}", REPORT_PATH): (201, {"Content-Type": "text/plain"}, b"ok\n")}))
        self.relay = self.start(Mxrelay(self.workdir, self.block, {
            "queue": {"retry_intervals": ["1h"]},
            "dns": {"stub": self.nsd.stubs()},
            "delivery": {"port": self.port, "tls_ca_file": str(self.ca.cert)},
            "tls_report": {"enabled": True, "organization_name": ORGANIZATION},
        }))

    def zone(self):
        https_rua = f"https://reports.{ZONE}:{self.receiver_port}{REPORT_PATH}"
        lines = [f"$ORIGIN {ZONE}.", "$TTL 300", "@ SOA ns admin 1 3600 600 86400 300", "@ NS ns",
                 "ns A 127.0.0.1",
                 f"good MX 10 mx.good", f"mx.good A {self.trusted_address}",
                 f"bad MX 10 mx.bad", f"mx.bad A {self.untrusted_address}",
                 f"testing MX 10 mx.testing", f"mx.testing A {self.trusted_address}",
                 f"plain MX 10 mx.plain", f"mx.plain A {self.plain_address}",
                 f"reports MX 10 mx.reports", f"mx.reports A {self.reports_address}",
                 f"reports A {self.receiver_address}"]
        for name in POLICIES:
            lines += [f'_mta-sts.{name} TXT "v=STSv1; id=1;"',
                      f"mta-sts.{name} A {self.sts_address}"]
        lines += [f'_smtp._tls.good TXT "v=TLSRPTv1; rua={https_rua},mailto:{REPORT_ADDRESS}"',
                  f'_smtp._tls.bad TXT "v=TLSRPTv1;rua={https_rua}"',
                  f'_smtp._tls.testing TXT "v=TLSRPTv1; rua={https_rua}"',
                  '_smtp._tls.plain TXT "v=spf1 -all"']
        return "\n".join(lines) + "\n"

    def send(self, name, subject):
        """Submits one message; its queue id (the n-th accepted line is the n-th message)."""
        send_smtplib(self.relay.smtp_server, SENDER, f"user@{domain(name)}", subject=subject)
        self.sent += 1
        return self.relay.wait_for_logs(self.sent, event="accepted")[self.sent - 1]["queue_id"]

    def posts(self):
        return [r for r in self.receiver.requests() if r[0] == "POST"]

    def report_from_post(self, post):
        self.assertEqual(post[4].get("content-type"), MEDIA_TYPE)
        return Schema(self).report(json.loads(gzip.decompress(post[3])))

    def deliver_the_four(self):
        self.send("good", "to good")
        self.trusted.wait_for_messages(1)
        self.send("testing", "to testing")
        self.trusted.wait_for_messages(2)
        bad_id = self.send("bad", "to bad")
        self.relay.wait_for_log(event="delivery", queue_id=bad_id, status="deferred")
        self.send("plain", "to plain")
        self.plain.wait_for_messages(1)
        return bad_id

    def send_now(self):
        done = self.relay.run_command("tls-report", "-c", self.relay.config_path, "send-now")
        return done

    def policy_of(self, report):
        (entry,) = report["policies"]
        return entry

    def test_reports_go_to_https_and_mailto_and_survive_a_restart(self):
        bad_id = self.deliver_the_four()
        self.relay.wait_for_sample("mxrelay_tls_report_sessions_total", 1, result="success")
        self.relay.wait_for_sample("mxrelay_tls_report_sessions_total", 1,
                                   result="validation_failure")
        self.relay.wait_for_sample("mxrelay_tls_report_sessions_total", 1,
                                   result="certificate_not_trusted")
        self.relay.wait_for_sample("mxrelay_tls_report_sessions_total", 1,
                                   result="starttls_not_supported")
        shown = self.relay.run_command("tls-report", "-c", self.relay.config_path, "show")
        self.assertEqual(shown.returncode, 0, shown.stderr)
        open_period = Schema(self).report(json.loads(shown.stdout)["open"])
        counts = {e["policy"]["policy-domain"]: e["summary"] for e in open_period["policies"]}
        self.assertEqual(counts[domain("good")]["total-successful-session-count"], 1)
        self.assertEqual(counts[domain("plain")]["total-failure-session-count"], 1)
        # The deferred message would be tried again at start; the counts must stay as they are.
        _, code = self.relay.queue("delete", bad_id)
        self.assertEqual(code, 0)
        self.relay.restart()

        done = self.send_now()
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn(f"{domain('good')} mailto:{REPORT_ADDRESS} sent", done.stdout)
        self.assertIn(f"{domain('plain')}  skipped", done.stdout)
        wait_until(lambda: len(self.posts()) == 3, 20.0, "three report POSTs")
        reports = {}
        for post in self.posts():
            self.assertEqual((post[1], post[2]), (f"reports.{ZONE}", REPORT_PATH))
            report = self.report_from_post(post)
            reports[self.policy_of(report)["policy"]["policy-domain"]] = report
        self.assertEqual(set(reports), {domain("good"), domain("bad"), domain("testing")})

        good = reports[domain("good")]
        self.assertEqual(good["organization-name"], ORGANIZATION)
        self.assertEqual(good["contact-info"], f"postmaster@{SUBMITTER}")
        entry = self.policy_of(good)
        self.assertEqual(entry["policy"]["policy-type"], "sts")
        self.assertEqual(entry["policy"]["mx-host"], [f"mx.{domain('good')}"])
        self.assertIn("mode: enforce", entry["policy"]["policy-string"])
        self.assertEqual(entry["summary"], {"total-successful-session-count": 1,
                                            "total-failure-session-count": 0})
        self.assertNotIn("failure-details", entry)

        entry = self.policy_of(reports[domain("bad")])
        self.assertEqual(entry["policy"]["policy-type"], "sts")
        self.assertEqual(entry["summary"], {"total-successful-session-count": 0,
                                            "total-failure-session-count": 1})
        (detail,) = entry["failure-details"]
        self.assertEqual(detail["result-type"], "certificate-not-trusted")
        self.assertEqual(detail["receiving-mx-hostname"], f"mx.{domain('bad')}")
        self.assertEqual(detail["receiving-ip"], self.untrusted_address)
        self.assertEqual(detail["failed-session-count"], 1)

        entry = self.policy_of(reports[domain("testing")])
        self.assertIn("mode: testing", entry["policy"]["policy-string"])
        self.assertEqual(entry["summary"], {"total-successful-session-count": 0,
                                            "total-failure-session-count": 1})
        self.assertEqual(entry["failure-details"][0]["result-type"], "validation-failure")
        self.assertEqual(entry["failure-details"][0]["receiving-mx-hostname"],
                         f"mx.{domain('testing')}")

        (mail,) = self.reports.wait_for_messages(1)
        self.assertEqual(mail["mail_from"], "<>")  # the null reverse path: no DSN loop
        self.assertEqual(mail["rcpt_tos"], [REPORT_ADDRESS])
        message = email.message_from_string(mail["data"], policy=email.policy.default)
        self.assertEqual(message.get_content_type(), "multipart/report")
        self.assertEqual(message.get_param("report-type"), "tlsrpt")
        self.assertEqual(message["TLS-Report-Domain"], domain("good"))
        self.assertEqual(message["TLS-Report-Submitter"], SUBMITTER)
        self.assertEqual(message["Subject"],
                         f"Report Domain: {domain('good')} Submitter: {SUBMITTER} "
                         f"Report-ID: <{good['report-id']}>")
        (attachment,) = [p for p in message.iter_attachments()
                         if p.get_content_type() == MEDIA_TYPE]
        name = attachment.get_filename()
        parts = name.removesuffix(".json.gz").split("!")
        self.assertTrue(name.endswith(".json.gz"), name)
        self.assertEqual(parts[:2], [SUBMITTER, domain("good")])
        self.assertTrue(all(p.isdigit() for p in parts[2:4]) and parts[4].isalnum(), name)
        mailed = Schema(self).report(json.loads(gzip.decompress(attachment.get_content())))
        self.assertEqual(mailed, good)

        self.relay.wait_for_sample("mxrelay_tls_reports_sent_total", 3, transport="https",
                                   outcome="sent")
        self.relay.wait_for_sample("mxrelay_tls_reports_sent_total", 1, transport="mailto",
                                   outcome="sent")
        # The period is closed and sent: a second send-now has nothing of it left.
        again = self.send_now()
        self.assertNotIn(domain("bad"), again.stdout)

    def test_a_failed_post_is_kept_and_sent_again_for_that_rua_only(self):
        self.receiver.set_route(f"reports.{ZONE}", REPORT_PATH, 500,
                                {"Content-Type": "text/plain"}, b"down\n")
        self.send("good", "to good")
        self.trusted.wait_for_messages(1)
        first = self.send_now()
        self.assertEqual(first.returncode, 1, first.stdout + first.stderr)
        self.assertIn("tlsrpt/v1 failed (HTTP 500)", first.stdout)
        self.assertIn(f"mailto:{REPORT_ADDRESS} sent", first.stdout)
        self.relay.wait_for_sample("mxrelay_tls_reports_sent_total", 1, transport="https",
                                   outcome="failed")
        shown = json.loads(self.relay.run_command("tls-report", "-c", self.relay.config_path,
                                                  "show").stdout)
        (waiting,) = shown["pending"]
        self.assertEqual(waiting["domain"], domain("good"))
        self.assertEqual(len(waiting["rua_left"]), 1)
        self.assertTrue(waiting["rua_left"][0].startswith("https://"))

        self.receiver.set_route(f"reports.{ZONE}", REPORT_PATH, 200,
                                {"Content-Type": "text/plain"}, b"ok\n")
        second = self.send_now()
        self.assertEqual(second.returncode, 0, second.stdout + second.stderr)
        self.assertIn("tlsrpt/v1 sent", second.stdout)
        self.assertNotIn("mailto:", second.stdout)
        failed, sent = (self.report_from_post(p) for p in self.posts())
        self.assertEqual(failed, sent)
        self.assertEqual(self.policy_of(sent)["summary"]["total-successful-session-count"], 1)
        self.assertEqual(len(self.reports.wait_for_messages(1)), 1)

    def test_a_corrupt_counter_file_is_set_aside_and_counting_goes_on(self):
        self.send("good", "before corruption")
        self.trusted.wait_for_messages(1)
        self.relay.stop()
        state = self.relay.spool_dir / "tls-report" / "state.json"
        self.assertIn(domain("good"), state.read_text())
        state.write_text("{not json")
        self.relay.start()
        logged = self.relay.wait_for_log(event="tls_report_store_corrupt")
        self.assertIn("state.json.corrupt-", logged["moved_to"])
        self.assertEqual(len(list(state.parent.glob("state.json.corrupt-*"))), 1)
        self.send("good", "after corruption")
        self.trusted.wait_for_messages(2)
        done = self.send_now()
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        wait_until(lambda: len(self.posts()) == 1, 20.0, "one report POST")
        entry = self.policy_of(self.report_from_post(self.posts()[0]))
        self.assertEqual(entry["summary"]["total-successful-session-count"], 1)

    def test_a_period_of_an_earlier_utc_day_closes_and_is_sent_on_its_own(self):
        # Counters from yesterday (the relay was down over midnight): the relay's own timer
        # closes that day's period at its midnight and sends it, with no send-now.
        self.send("good", "yesterday")
        self.trusted.wait_for_messages(1)
        self.relay.stop()
        state_file = self.relay.spool_dir / "tls-report" / "state.json"
        state = json.loads(state_file.read_text())
        today = int(time.time()) // 86400 * 86400
        state["begin"] = today - 86400
        state_file.write_text(json.dumps(state))
        self.relay.start()
        # The timer ticks once a minute.
        wait_until(lambda: len(self.posts()) == 1, 100.0, "the report POST of yesterday")
        report = self.report_from_post(self.posts()[0])
        self.assertEqual(report["date-range"]["start-datetime"],
                         time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(today - 86400)))
        self.assertEqual(report["date-range"]["end-datetime"],
                         time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(today)))
        self.assertEqual(self.policy_of(report)["summary"]["total-successful-session-count"], 1)
        self.assertEqual(len(self.reports.wait_for_messages(1, timeout=30)), 1)


if __name__ == "__main__":
    unittest.main()
