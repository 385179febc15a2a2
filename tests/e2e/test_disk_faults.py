"""e2e: a disk that fails (the spool's group-commit sync -> ENOSPC or EIO, injected with an
LD_PRELOAD shim) makes the relay answer 452 4.3.1 or 451 4.3.0, never 250; it says so in the
log (with the queue id) and in metrics; the refused record is not left in the spool; what was
queued before stays intact and is delivered; once the disk recovers, new mail is accepted."""

import os
import smtplib
import unittest

from harness import E2eTestCase, Mxrelay, SmtpSink, free_port, send_smtplib, transport_table


class DiskFaultTest(E2eTestCase):
    def start_relay_with_a_waiting_message(self):
        shim = os.environ.get("MXRELAY_FAULT_SHIM")
        self.assertTrue(shim and os.path.exists(shim), "MXRELAY_FAULT_SHIM must name the built shim")
        sink_address = self.block.host(10)
        sink_port = free_port(sink_address)
        closed_port = free_port(sink_address)  # nothing listens: mail for later.example waits
        self.sink = self.start(SmtpSink(self.workdir, "sink", sink_address, sink_port))
        self.trigger = self.workdir / "disk-fault"
        relay = Mxrelay(
            self.workdir,
            self.block,
            {"queue": {"retry_intervals": ["1h"]}},
            extra_toml=transport_table(
                {
                    "later.example": {"host": f"[{sink_address}]:{closed_port}"},
                    "*": {"host": f"[{sink_address}]:{sink_port}"},
                }
            ),
        )
        relay.process.env = {
            **os.environ,
            "LD_PRELOAD": shim,
            "MXRELAY_FAULT_TRIGGER": str(self.trigger),
        }
        self.start(relay)
        send_smtplib(relay.smtp_server, "a@client.example", "waiting@later.example")
        queued = relay.wait_for_log(event="accepted")["queue_id"]
        relay.wait_for_log(event="delivery", queue_id=queued, status="deferred")
        return relay, queued

    def assert_refused(self, relay, fault, code, dsn):
        self.trigger.write_text(fault)
        with self.assertRaises(smtplib.SMTPDataError) as refused:
            send_smtplib(relay.smtp_server, "a@client.example", "user@now.example")
        self.assertEqual(refused.exception.smtp_code, code)
        self.assertIn(dsn.encode(), refused.exception.smtp_error)
        failed = relay.wait_for_log(event="store_failed")
        self.assertEqual(failed["dsn"], dsn, failed["_line"])
        self.assertTrue(failed.get("queue_id"), failed["_line"])
        relay.wait_for_metric("mxrelay_spool_store_failures_total", 1)
        relay.wait_for_sample("mxrelay_disk_errors_total", 1, operation="commit")
        # Never acknowledged, so not kept: the record was removed when its commit failed.
        self.assertFalse((relay.spool_dir / "queue" / failed["queue_id"]).exists())
        self.trigger.unlink()

    def assert_queue_intact_and_accepting(self, relay, queued):
        send_smtplib(relay.smtp_server, "a@client.example", "user@now.example", subject="after")
        (message,) = self.sink.wait_for_messages(1)
        self.assertIn("Subject: after", message["data"])
        self.assertEqual(len(relay.log_events(event="accepted")), 2)

        entry = relay.queue_entry(queued)
        self.assertIsNotNone(entry, "the message queued before the fault is gone")
        shown, code = relay.queue("show", queued)
        self.assertEqual(code, 0, shown)
        self.assertEqual(shown["entry"]["recipients"][0]["address"], "waiting@later.example")
        self.assertEqual(relay.log_events(event="spool_corrupt"), [])

    def test_disk_full_gives_452_and_keeps_the_queue(self):
        relay, queued = self.start_relay_with_a_waiting_message()
        self.assert_refused(relay, "ENOSPC", 452, "4.3.1")
        self.assert_queue_intact_and_accepting(relay, queued)

    def test_failed_sync_gives_451_and_keeps_the_queue(self):
        relay, queued = self.start_relay_with_a_waiting_message()
        self.assert_refused(relay, "EIO", 451, "4.3.0")
        self.assert_queue_intact_and_accepting(relay, queued)


if __name__ == "__main__":
    unittest.main()
