"""e2e: a disk that fails (fdatasync -> ENOSPC, injected with an LD_PRELOAD shim) makes the
relay answer 452 4.3.1, never 250; it says so in the log and a metric; what was queued before
stays intact and is delivered; once the disk recovers, new mail is accepted again."""

import os
import smtplib
import unittest

from harness import E2eTestCase, Mxrelay, SmtpSink, free_port, send_smtplib, transport_table


class DiskFaultTest(E2eTestCase):
    def test_failed_fsync_gives_4xx_and_keeps_the_queue(self):
        shim = os.environ.get("MXRELAY_FAULT_SHIM")
        self.assertTrue(shim and os.path.exists(shim), "MXRELAY_FAULT_SHIM must name the built shim")
        sink_address = self.block.host(10)
        sink_port = free_port(sink_address)
        closed_port = free_port(sink_address)  # nothing listens: mail for later.example waits
        sink = self.start(SmtpSink(self.workdir, "sink", sink_address, sink_port))
        trigger = self.workdir / "disk-full"
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
        relay.process.env = {**os.environ, "LD_PRELOAD": shim, "MXRELAY_FAULT_TRIGGER": str(trigger)}
        self.start(relay)

        send_smtplib(relay.smtp_server, "a@client.example", "waiting@later.example")
        queued = relay.wait_for_log(event="accepted")["queue_id"]
        relay.wait_for_log(event="delivery", queue_id=queued, status="deferred")

        trigger.write_text("on")
        with self.assertRaises(smtplib.SMTPDataError) as refused:
            send_smtplib(relay.smtp_server, "a@client.example", "user@now.example")
        self.assertEqual(refused.exception.smtp_code, 452)
        self.assertIn(b"4.3.1", refused.exception.smtp_error)
        failed = relay.wait_for_log(event="store_failed")
        self.assertEqual(failed["dsn"], "4.3.1", failed["_line"])
        relay.wait_for_metric("mxrelay_spool_store_failures_total", 1)
        trigger.unlink()

        send_smtplib(relay.smtp_server, "a@client.example", "user@now.example", subject="after")
        (message,) = sink.wait_for_messages(1)
        self.assertIn("Subject: after", message["data"])
        self.assertEqual(len(relay.log_events(event="accepted")), 2)

        entry = relay.queue_entry(queued)
        self.assertIsNotNone(entry, "the message queued before the fault is gone")
        shown, code = relay.queue("show", queued)
        self.assertEqual(code, 0, shown)
        self.assertEqual(shown["entry"]["recipients"][0]["address"], "waiting@later.example")
        self.assertEqual(relay.log_events(event="spool_corrupt"), [])


if __name__ == "__main__":
    unittest.main()
