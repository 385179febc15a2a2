"""e2e: GET /healthz on the metrics listener. 200 with every check ok while the relay accepts
and can make a write durable; 503 naming the cause while the spool's sync fails (injected
ENOSPC, through the LD_PRELOAD shim) and again 200 once it recovers; 503 as soon as a shutdown
begins, while a client still finishes its message; /metrics is served beside it as before.
A relay out of file descriptors logs the failed accept once, retries, and serves the waiting
clients once descriptors are free again."""

import json
import os
import signal
import socket
import subprocess
import unittest
import urllib.error
import urllib.request

from harness import E2eTestCase, Mxrelay, RawSmtp, wait_until


def get(url, method="GET"):
    """(HTTP status, body) of one request."""
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class HealthTest(E2eTestCase):
    def setUp(self):
        super().setUp()
        shim = os.environ.get("MXRELAY_FAULT_SHIM")
        self.assertTrue(shim and os.path.exists(shim), "MXRELAY_FAULT_SHIM must name the built shim")
        self.trigger = self.workdir / "disk-fault"
        self.relay = Mxrelay(self.workdir, self.block, {"server": {"shutdown_grace": "20s"}})
        self.relay.process.env = {
            **os.environ,
            "LD_PRELOAD": shim,
            "MXRELAY_FAULT_TRIGGER": str(self.trigger),
        }
        self.start(self.relay)
        self.url = f"http://{self.relay.address}:{self.relay.metrics_port}/healthz"

    def health(self):
        status, body = get(self.url)
        report = json.loads(body)
        return status, report["status"], {c["name"]: (c["ok"], c["detail"]) for c in report["checks"]}

    def test_healthy_relay_answers_200_with_each_check(self):
        status, verdict, checks = self.health()
        self.assertEqual((status, verdict), (200, "ok"), checks)
        self.assertEqual(checks["listener"], (True, "accepting on 1 address(es)"))
        self.assertEqual(checks["spool"], (True, "writable"))
        self.assertEqual(get(self.url, "HEAD"), (200, ""))
        self.assertEqual(get(self.url, "POST")[0], 405)
        self.assertIn("mxrelay_messages_received_total", self.relay.metrics_text())
        self.assertEqual(list((self.relay.spool_dir / "incoming").iterdir()), [],
                         "the probe leaves nothing behind")

    def test_spool_that_cannot_sync_fails_the_check_until_it_recovers(self):
        self.trigger.write_text("ENOSPC")
        status, verdict, checks = wait_until(
            lambda: (h := self.health())[0] == 503 and h, 10.0, "/healthz to fail"
        )
        self.assertEqual(verdict, "failing")
        ok, detail = checks["spool"]
        self.assertFalse(ok)
        self.assertIn("452 4.3.1", detail)
        self.assertIn("No space left on device", detail)
        self.assertTrue(checks["listener"][0], "the listener is not the problem")

        self.trigger.unlink()
        wait_until(lambda: self.health()[0] == 200, 10.0, "/healthz to recover")

    def test_shutdown_fails_the_check_while_a_client_finishes(self):
        client = RawSmtp(self.relay.smtp_server)
        self.addCleanup(client.close)
        self.assertEqual(client.reply()[0], 220)
        self.assertEqual(client.command("EHLO client.example")[0], 250)
        self.assertEqual(client.command("MAIL FROM:<a@client.example>")[0], 250)
        self.assertEqual(client.command("RCPT TO:<b@destination.example>")[0], 250)
        self.assertEqual(client.command("DATA")[0], 354)
        client.send("Subject: draining\r\n\r\nfirst line\r\n")

        self.relay.process.popen.send_signal(signal.SIGTERM)
        self.relay.wait_for_log(event="stopping")
        status, verdict, checks = self.health()
        self.assertEqual((status, verdict), (503, "failing"))
        self.assertEqual(checks["listener"], (False, "shutting down: not accepting mail"))

        client.send(".\r\n")
        self.assertEqual(client.reply()[0], 250, "the message in DATA still finishes")
        self.assertIn(client.command("QUIT")[0], (221, 421))
        self.assertEqual(self.relay.process.popen.wait(10), 0)


    def test_accept_failing_for_lack_of_descriptors_recovers(self):
        open_fds = int(self.relay.metric("process_open_fds"))
        pid = self.relay.process.popen.pid
        soft_limit = int(self.relay.metric("process_max_fds"))
        subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={open_fds + 2}:"], check=True)
        clients = []
        try:
            for n in range(6):  # distinct addresses: the per-client limit is not what refuses
                source = (self.relay.address.rsplit(".", 1)[0] + f".{20 + n}", 0)
                clients.append(socket.create_connection(self.relay.smtp_server, 5, source))
            failed = self.relay.wait_for_log(event="accept_error")
            self.assertIn("Too many open files", failed["error"])
        finally:
            subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={soft_limit}:"], check=True)
        for client in clients:
            client.settimeout(10)
            self.assertTrue(client.recv(512).startswith(b"220 "), "a waiting client is served")
            client.close()
        self.assertEqual(len(self.relay.log_events(event="accept_error")), 1,
                         "a lasting failure is logged once, not once per retry")
        wait_until(lambda: self.health()[0] == 200, 10.0, "/healthz to be ok again")


if __name__ == "__main__":
    unittest.main()
