"""e2e: graceful SIGTERM. New connections are refused at once; a client in the middle of
DATA may finish within server.shutdown_grace and gets its 250; one still sending when the
grace ends is cut off without 250; an idle client gets 421 4.3.2; every acknowledged
message is delivered, after a restart if need be."""

import signal
import time
import unittest

from harness import (
    E2eTestCase,
    Mxrelay,
    Nsd,
    RawSmtp,
    SmtpSink,
    free_port,
    port_accepts,
    render_zone,
    send_smtplib,
)

SENDER = "sender@client.example"
RECIPIENT = "user@relay.example"


class ShutdownTest(E2eTestCase):
    def start_relay(self, grace, sink_running=True):
        ns = self.block.host(53)
        zones = {
            zone: render_zone(zone, NS=ns, NET=self.block.prefix)
            for zone in ("relay.example", "relay-target.example")
        }
        nsd = self.start(Nsd(self.workdir, ns, zones))
        mx_address = self.block.host(10)
        sink_port = free_port(mx_address)
        self.sink = SmtpSink(self.workdir, "mx1", mx_address, sink_port)
        if sink_running:
            self.start(self.sink)
        self.relay = self.start(
            Mxrelay(
                self.workdir,
                self.block,
                {
                    "server": {"shutdown_grace": grace},
                    "dns": {"stub": nsd.stubs()},
                    "delivery": {"port": sink_port},
                },
            )
        )

    def in_data(self, subject):
        """A session that has had its 354 and sent part of the message."""
        client = RawSmtp(self.relay.smtp_server)
        self.addCleanup(client.close)
        self.assertEqual(client.reply()[0], 220)
        self.assertEqual(client.command("EHLO client.example")[0], 250)
        self.assertEqual(client.command(f"MAIL FROM:<{SENDER}>")[0], 250)
        self.assertEqual(client.command(f"RCPT TO:<{RECIPIENT}>")[0], 250)
        self.assertEqual(client.command("DATA")[0], 354)
        client.send(f"From: {SENDER}\r\nTo: {RECIPIENT}\r\nSubject: {subject}\r\n\r\nfirst line\r\n")
        return client

    def sigterm(self):
        self.relay.process.popen.send_signal(signal.SIGTERM)
        return self.relay.wait_for_log(event="stopping", signal=str(int(signal.SIGTERM)))

    def wait_for_exit(self, timeout):
        return self.relay.process.popen.wait(timeout)

    def test_message_in_data_finishes_within_the_grace(self):
        self.start_relay("20s")
        client = self.in_data("finished during shutdown")

        stopping = self.sigterm()
        self.assertEqual(stopping["grace"], "20")
        self.assertFalse(port_accepts(*self.relay.smtp_server), "new connections must be refused")
        client.send("last line\r\n.\r\n")
        code, text = client.reply()
        self.assertEqual(code, 250, text)
        # The session is over: its next command gets 421 (or 221 for QUIT).
        self.assertIn(client.command("QUIT")[0], (221, 421))

        self.assertEqual(self.wait_for_exit(10), 0)
        stopped = self.relay.wait_for_log(event="stopped")
        self.assertEqual(stopped["sessions_aborted"], "0", stopped["_line"])
        self.assertIn("attempts_abandoned", stopped)

        self.relay.start()
        messages = self.sink.wait_for_messages(1)
        self.assertIn("Subject: finished during shutdown", messages[0]["data"])

    def test_session_stalled_in_data_is_cut_off_when_the_grace_ends(self):
        self.start_relay("1s", sink_running=False)
        send_smtplib(self.relay.smtp_server, SENDER, RECIPIENT, subject="acknowledged earlier")
        self.relay.wait_for_log(event="accepted")
        client = self.in_data("never acknowledged")

        sent_at = time.monotonic()
        self.sigterm()
        self.assertEqual(self.wait_for_exit(10), 0)
        self.assertLess(time.monotonic() - sent_at, 1 + 4, "exit within the grace and a margin")
        with self.assertRaises((ConnectionError, OSError)):
            code, text = client.reply()
            self.fail(f"the stalled session got a reply: {code} {text}")
        stopped = self.relay.wait_for_log(event="stopped")
        self.assertEqual(stopped["sessions_aborted"], "1", stopped["_line"])

        self.start(self.sink)
        self.relay.start()
        (message,) = self.sink.wait_for_messages(1)
        self.assertIn("Subject: acknowledged earlier", message["data"])
        self.relay.wait_for_log(event="removed")
        self.assertEqual(self.relay.queue_entries(), [])
        self.assertEqual(len(self.sink.messages()), 1)

    def test_idle_session_gets_421_and_the_relay_exits_at_once(self):
        self.start_relay("20s")
        client = RawSmtp(self.relay.smtp_server)
        self.addCleanup(client.close)
        self.assertEqual(client.reply()[0], 220)
        self.assertEqual(client.command("EHLO client.example")[0], 250)

        sent_at = time.monotonic()
        self.sigterm()
        code, text = client.command("NOOP")
        self.assertEqual(code, 421)
        self.assertTrue(text.startswith("4.3.2 "), text)
        client.close()
        self.assertEqual(self.wait_for_exit(10), 0)
        self.assertLess(time.monotonic() - sent_at, 5, "an idle session does not use the grace")
        stopped = self.relay.wait_for_log(event="stopped")
        self.assertEqual(stopped["sessions_aborted"], "0", stopped["_line"])


if __name__ == "__main__":
    unittest.main()
