"""e2e: the durable queue and `mxrelay queue`. A message the next hop keeps deferring (451 at
RCPT) is listed with the remote reply, shown with its headers and SMTP transcript, held
(no attempts), released and flushed (a new attempt), and deleted (gone from the spool);
`queue bounce` and a null-MX recipient send an RFC 3464 DSN from <> to the sender's MX,
a bounce is never bounced, and the queue (with its holds) survives a restart."""

import email
import email.policy
import smtplib
import unittest
from email.message import EmailMessage

from harness import E2eTestCase, Mxrelay, Nsd, SmtpSink, free_port, render_zone, wait_until

SENDER = "alice@sender.queue.example"
SLOW = "user@slow.queue.example"
SLOW_OTHER = "other@slow.queue.example"
NULL_MX = "user@nullmx.queue.example"
GREYLISTED = "451 4.7.1 Greylisted, try again later"
TRAP_REPLY = "530 5.7.57 Client not authenticated to send mail"


def parse_dsn(data):
    """(report, recipient fields, original headers text) of an RFC 3464 DSN; asserts the
    multipart/report structure on the way."""
    report = email.message_from_string(data, policy=email.policy.default)
    assert report.get_content_type() == "multipart/report", report.get_content_type()
    assert report.get_param("report-type") == "delivery-status", report["Content-Type"]
    parts = {part.get_content_type(): part for part in report.iter_parts()}
    status = parts["message/delivery-status"].get_payload()
    assert len(status) >= 2, "a delivery-status part needs per-message and per-recipient fields"
    original = parts.get("text/rfc822-headers") or parts.get("message/rfc822-headers")
    assert original is not None, f"no original headers part in {list(parts)}"
    return report, status[1], original.get_payload(decode=True).decode()


class QueueManagementTest(E2eTestCase):
    def setUp(self):
        super().setUp()
        ns = self.block.host(53)
        zone = render_zone("queue.example", NS=ns, NET=self.block.prefix)
        self.nsd = self.start(Nsd(self.workdir, ns, {"queue.example": zone}))
        self.port = free_port(self.block.host(21))
        self.slow = self.start(
            SmtpSink(self.workdir, "slow", self.block.host(21), self.port, {"rcpt": GREYLISTED})
        )
        self.sender_mx = self.start(SmtpSink(self.workdir, "sender-mx", self.block.host(22), self.port))
        self.trap = self.start(
            SmtpSink(self.workdir, "trap", self.block.host(250), self.port, {"mail": TRAP_REPLY})
        )
        # Retries an hour apart: every attempt after the first is one the test asked for.
        self.relay = self.start(
            Mxrelay(
                self.workdir,
                self.block,
                {
                    "dns": {"stub": self.nsd.stubs()},
                    "delivery": {"port": self.port},
                    "queue": {"retry_intervals": ["1h"]},
                },
            )
        )

    def send(self, mail_from, recipient, subject):
        """One message over SMTP; returns its queue id (from the relay's accepted line)."""
        message = EmailMessage()
        message["From"] = mail_from or "MAILER-DAEMON@client.example"
        message["To"] = recipient
        message["Subject"] = subject
        message["Message-ID"] = f"<{subject.replace(' ', '-')}@client.example>"
        message.set_content("Queued by the queue management test.\n")
        before = len(self.relay.log_events(event="accepted"))
        with smtplib.SMTP(*self.relay.smtp_server, timeout=15) as smtp:
            smtp.send_message(message, mail_from, [recipient])
        return self.relay.wait_for_logs(before + 1, event="accepted")[before]["queue_id"]

    def attempts(self, queue_id):
        return self.relay.log_events(event="delivery", queue_id=queue_id)

    def wait_for_attempts(self, queue_id, count):
        return self.relay.wait_for_logs(count, event="delivery", queue_id=queue_id)

    def wait_idle(self, queue_id, attempts=None):
        """Waits until the message is listed, not in flight (and, if given, with this many
        attempts); returns its list entry."""

        def idle():
            entry = self.relay.queue_entry(queue_id)
            if entry is None or entry["in_flight"]:
                return None
            return entry if attempts is None or entry["attempts"] == attempts else None

        return wait_until(idle, 20.0, f"{queue_id} to be queued and idle")

    def queue_ok(self, *args):
        done = self.relay.queue(*args, json_output=False)
        self.assertEqual(done.returncode, 0, f"queue {args}: {done.stdout}{done.stderr}")
        return done

    def spool_names(self):
        return sorted(p.name for p in (self.relay.spool_dir / "queue").iterdir())

    def test_deferred_message_is_listed_shown_held_released_flushed_and_deleted(self):
        target = self.send(SENDER, SLOW, "target")
        bystander = self.send(SENDER, SLOW_OTHER, "bystander")
        (first,) = self.wait_for_attempts(target, 1)
        self.assertEqual((first["status"], first["dsn"]), ("deferred", "4.7.1"), first["_line"])
        self.wait_for_attempts(bystander, 1)

        entry = self.wait_idle(target, attempts=1)
        self.assertEqual(entry["sender"], SENDER)
        self.assertEqual(entry["recipients"], [{"address": SLOW, "state": "pending"}])
        self.assertIn(GREYLISTED, entry["last_error"])
        self.assertFalse(entry["held"])
        self.assertIn(target, self.queue_ok("list").stdout, "mailq-style listing lacks the id")

        shown, code = self.relay.queue("show", target)
        self.assertEqual(code, 0, shown)
        detail = shown["entry"]
        self.assertEqual(detail["id"], target)
        self.assertIn("Subject: target", detail["headers"])
        self.assertIn("Message-ID: <target@client.example>", detail["headers"])
        self.assertNotIn("Queued by the queue management test", detail["headers"])
        transcript = detail["transcript"].splitlines()
        self.assertIn(f"C: RCPT TO:<{SLOW}>", transcript, detail["transcript"])
        self.assertIn(f"S: {GREYLISTED}", transcript, detail["transcript"])
        self.assertLess(
            transcript.index(f"C: RCPT TO:<{SLOW}>"), transcript.index(f"S: {GREYLISTED}")
        )

        # Held: a flush of the whole queue retries the bystander but not the held message.
        self.queue_ok("hold", target)
        self.relay.wait_for_log(event="hold", queue_id=target)
        self.assertTrue(self.relay.queue_entry(target)["held"])
        self.queue_ok("flush")
        self.relay.wait_for_log(event="flush")
        self.wait_for_attempts(bystander, 2)
        self.wait_idle(bystander, attempts=2)
        self.assertEqual(len(self.attempts(target)), 1, "a held message was attempted")
        self.assertEqual(self.relay.queue_entry(target)["attempts"], 1)

        # Released: due at once, one new attempt; then a flush of it: one more.
        self.queue_ok("release", target)
        self.relay.wait_for_log(event="release", queue_id=target)
        second = self.wait_for_attempts(target, 2)[1]
        self.assertEqual(second["status"], "deferred", second["_line"])
        self.assertFalse(self.wait_idle(target, attempts=2)["held"])
        self.queue_ok("flush", target)
        self.relay.wait_for_log(event="flush", messages="1")
        third = self.wait_for_attempts(target, 3)[2]
        self.assertEqual(third["status"], "deferred", third["_line"])
        self.wait_idle(target, attempts=3)
        self.assertEqual(len(self.attempts(bystander)), 2, "flush ID retried another message")

        # Deleted: gone from the list and from the spool; the bystander stays.
        self.assertTrue(any(n.startswith(target) for n in self.spool_names()))
        self.queue_ok("delete", target)
        self.relay.wait_for_log(event="deleted", queue_id=target)
        self.assertIsNone(self.relay.queue_entry(target))
        self.assertEqual([n for n in self.spool_names() if n.startswith(target)], [])
        self.assertIsNotNone(self.relay.queue_entry(bystander))
        self.assertIn(bystander, self.spool_names())
        self.assertEqual(self.relay.log_events(event="dsn"), [], "a deleted message was bounced")
        unknown = self.relay.queue("show", target, json_output=False)
        self.assertNotEqual(unknown.returncode, 0, unknown.stdout)

    def test_several_ids_or_all_and_arguments_checked_before_the_relay_is_asked(self):
        first = self.send(SENDER, SLOW, "first")
        second = self.send(SENDER, SLOW_OTHER, "second")
        self.wait_idle(first)
        self.wait_idle(second)

        done = self.queue_ok("hold", "ALL")
        self.assertIn("hold: 2 of 2 message(s)", done.stdout)
        self.assertTrue(all(e["held"] for e in self.relay.queue_entries()))
        self.queue_ok("release", first, second)
        self.assertFalse(any(e["held"] for e in self.relay.queue_entries()))

        for args in (["bogus"], ["show"], ["show", first, second], ["hold"], ["list", first],
                     ["hold", first, "--domain", "x.example"]):
            refused = self.relay.queue(*args, json_output=False)
            self.assertEqual(refused.returncode, 2, f"{args}: {refused.stderr}")
            self.assertIn("usage:", refused.stderr)
        bad = self.relay.queue("delete", first, "not-an-id", json_output=False)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("not-an-id is not a queue id", bad.stderr)
        self.assertIsNotNone(self.relay.queue_entry(first), "a refused command deleted something")

        gone = "0" * 16
        partly = self.relay.queue("delete", first, gone, json_output=False)
        self.assertEqual(partly.returncode, 1, partly.stdout)
        self.assertIn("delete: 1 of 2 message(s)", partly.stdout)
        self.assertIsNone(self.relay.queue_entry(first))
        self.assertIsNotNone(self.relay.queue_entry(second))

    def test_bounce_command_sends_a_dsn_to_the_sender(self):
        queue_id = self.send(SENDER, SLOW, "bounce me")
        self.wait_for_attempts(queue_id, 1)
        self.wait_idle(queue_id, attempts=1)

        self.queue_ok("bounce", queue_id)
        dsn = self.relay.wait_for_log(event="dsn", original=queue_id)
        self.assertEqual((dsn["to"], dsn["action"]), (f"<{SENDER}>", "failed"), dsn["_line"])
        (message,) = self.sender_mx.wait_for_messages(1)
        self.assertIn(message["mail_from"], ("", "<>"), "a DSN must come from the null sender")
        self.assertEqual(message["rcpt_tos"], [SENDER])
        report, recipient, original = parse_dsn(message["data"])
        self.assertEqual(report["To"].addresses[0].addr_spec, SENDER)
        self.assertEqual(recipient["Action"], "failed")
        self.assertEqual(recipient["Status"], "5.0.0")
        self.assertIn(SLOW, recipient["Final-Recipient"])
        self.assertIn("Subject: bounce me", original)
        self.assertIn("Message-ID: <bounce-me@client.example>", original)

        bounced = self.relay.wait_for_log(event="delivery", queue_id=queue_id, status="bounced")
        self.assertEqual(bounced["dsn"], "5.0.0", bounced["_line"])
        self.relay.wait_for_log(event="removed", queue_id=queue_id)
        self.relay.wait_for_log(event="removed", queue_id=dsn["queue_id"])
        self.assertIsNone(self.relay.queue_entry(queue_id))
        self.assertEqual(len(self.attempts(queue_id)), 2, "the bounced message was retried")

    def test_null_mx_bounces_to_the_sender_but_a_bounce_is_never_bounced(self):
        queue_id = self.send(SENDER, NULL_MX, "to null mx")
        (attempt,) = self.wait_for_attempts(queue_id, 1)
        self.assertEqual(
            (attempt["status"], attempt["dsn"], attempt["relay"]), ("bounced", "5.1.10", "none"),
            attempt["_line"],
        )
        dsn = self.relay.wait_for_log(event="dsn", original=queue_id)
        self.assertEqual((dsn["to"], dsn["action"]), (f"<{SENDER}>", "failed"), dsn["_line"])
        (message,) = self.sender_mx.wait_for_messages(1)
        self.assertIn(message["mail_from"], ("", "<>"), "a DSN must come from the null sender")
        _, recipient, original = parse_dsn(message["data"])
        self.assertEqual(recipient["Action"], "failed")
        self.assertEqual(recipient["Status"], "5.1.10")
        self.assertIn(NULL_MX, recipient["Final-Recipient"])
        self.assertIn("Subject: to null mx", original)
        self.relay.wait_for_log(event="removed", queue_id=dsn["queue_id"])

        bounce = self.send("", NULL_MX, "a bounce to null mx")
        (attempt,) = self.wait_for_attempts(bounce, 1)
        self.assertEqual((attempt["status"], attempt["dsn"]), ("bounced", "5.1.10"), attempt["_line"])
        self.relay.wait_for_log(event="dsn_dropped", queue_id=bounce)
        self.relay.wait_for_log(event="removed", queue_id=bounce)
        self.assertEqual(self.relay.log_events(event="dsn", original=bounce), [])
        self.assertEqual(len(self.relay.log_events(event="dsn")), 1)
        self.assertEqual(len(self.sender_mx.messages()), 1)
        self.assertEqual(self.relay.queue_entries(), [])
        self.assertEqual(self.trap.connections(), [], "the null-MX domain's A record was used")

    def test_queue_and_holds_survive_a_restart(self):
        held = self.send(SENDER, SLOW, "held across restart")
        waiting = self.send(SENDER, SLOW_OTHER, "waiting across restart")
        self.wait_for_attempts(held, 1)
        self.wait_for_attempts(waiting, 1)
        self.wait_idle(held, attempts=1)
        self.wait_idle(waiting, attempts=1)
        self.queue_ok("hold", held)
        self.relay.wait_for_log(event="hold", queue_id=held)
        before = {e["id"]: e for e in self.relay.queue_entries()}

        self.relay.restart()
        self.relay.wait_for_logs(2, event="started")
        recovered = self.relay.wait_for_log(event="recovered", pattern=r"messages=[1-9]")
        self.assertEqual(recovered["messages"], "2", recovered["_line"])

        after = {e["id"]: e for e in self.relay.queue_entries()}
        self.assertEqual(sorted(after), sorted([held, waiting]))
        for queue_id in (held, waiting):
            for field in ("sender", "recipients", "arrival", "size"):
                self.assertEqual(after[queue_id][field], before[queue_id][field], field)
        self.assertTrue(after[held]["held"], "the hold was lost in the restart")
        self.assertFalse(after[waiting]["held"])
        shown, code = self.relay.queue("show", held)
        self.assertEqual(code, 0, shown)
        self.assertIn("Subject: held across restart", shown["entry"]["headers"])

        # The recovered message is live: releasing it makes a new attempt.
        self.queue_ok("release", held)
        second = self.wait_for_attempts(held, 2)[1]
        self.assertEqual(second["status"], "deferred", second["_line"])
        self.assertEqual(self.sender_mx.messages(), [])


if __name__ == "__main__":
    unittest.main()
