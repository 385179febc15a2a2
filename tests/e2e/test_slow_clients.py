"""e2e: deadlines, not idle timers. A client that keeps sending, one byte at a time, is cut
off with 421 4.4.2 once a command line takes longer than server.command_timeout, a
message's content longer than server.data_timeout, or the STARTTLS handshake longer than
server.tls_handshake_timeout, although it is never idle for server.timeout. A client that
pauses between commands (each under the idle timeout) is not cut off, however long the
whole session."""

import socket
import time
import unittest

from harness import (
    E2eTestCase, Mxrelay, RawSmtp, SmtpSink, free_port, self_signed_certificate,
    transport_table,
)

INTERVAL = 0.3  # between two bytes of a dribbling client: far below the idle timeout


class SlowClientsTest(E2eTestCase):
    def setUp(self):
        super().setUp()
        address = self.block.host(10)
        self.sink = self.start(SmtpSink(self.workdir, "sink", address, free_port(address)))
        cert, key = self_signed_certificate(self.workdir / "tls", "relay.mxrelay.example")
        server = {"timeout": "10s", "command_timeout": "2s", "data_timeout": "3s",
                  "tls_handshake_timeout": "2s", "tls_cert_file": str(cert),
                  "tls_key_file": str(key)}
        route = transport_table({"*": {"host": f"[{address}]:{self.sink.port}"}})
        self.relay = self.start(Mxrelay(self.workdir, self.block, {"server": server},
                                        extra_toml=route))

    def client(self):
        client = RawSmtp(self.relay.smtp_server)
        self.addCleanup(client.close)
        self.assertEqual(client.reply()[0], 220)
        return client

    def dribble(self, client, data, limit=30):
        """Sends `data` (repeated as needed) one byte every INTERVAL seconds until the relay
        answers or closes; returns its reply, or None when it closed without one. The limit
        (9 s) is below server.timeout: only a deadline can end the dribble in time."""
        data = data.encode()
        for i in range(limit):
            client.socket.settimeout(INTERVAL)
            try:
                chunk = client.socket.recv(65536)
            except socket.timeout:
                chunk = None
            client.socket.settimeout(15)
            if chunk == b"":
                return None
            if chunk:
                client.buffer += chunk
                return client.reply()
            client.send(data[i % len(data):i % len(data) + 1])
        self.fail(f"the relay never cut off a client dribbling for {limit * INTERVAL:.0f}s")

    def assert_cut_off(self, reply, reason):
        self.assertIsNotNone(reply, "closed without a reply")
        code, text = reply
        self.assertEqual(code, 421, text)
        self.assertTrue(text.startswith("4.4.2"), text)
        self.relay.wait_for_sample("mxrelay_inbound_sessions_total", 1, result="timeout")
        self.relay.wait_for_sample("mxrelay_inbound_sessions_cut_off_total", 1, reason=reason)
        self.assertEqual(self.relay.metric("mxrelay_inbound_sessions_cut_off_total",
                                           reason="idle"), 0)

    def test_a_command_line_sent_a_byte_at_a_time_is_cut_off(self):
        client = self.client()
        self.assertEqual(client.command("EHLO client.example")[0], 250)
        self.assert_cut_off(self.dribble(client, "MAIL FROM:<sender@client.example>"),
                            "command_deadline")

    def test_message_content_sent_slowly_is_cut_off(self):
        client = self.client()
        for line in ("EHLO client.example", "MAIL FROM:<sender@client.example>",
                     "RCPT TO:<user@slow.example>"):
            self.assertEqual(client.command(line)[0], 250, line)
        self.assertEqual(client.command("DATA")[0], 354)
        self.assert_cut_off(self.dribble(client, "Subject: slow\r\n\r\nslow body line\r\n"),
                            "data_deadline")
        self.assertEqual(self.relay.log_events(event="accepted"), [])

    def test_chunks_sent_slowly_are_cut_off(self):
        client = self.client()
        for line in ("EHLO client.example", "MAIL FROM:<sender@client.example>",
                     "RCPT TO:<user@slow.example>"):
            self.assertEqual(client.command(line)[0], 250, line)
        # Each chunk arrives at once, but the message as a whole never finishes.
        for _ in range(40):
            client.send("BDAT 4\r\nab\r\n")
            code, text = client.reply()
            if code != 250:
                break
            time.sleep(INTERVAL)  # pacing the client, not waiting for the relay
        self.assert_cut_off((code, text), "data_deadline")
        self.assertEqual(self.relay.log_events(event="accepted"), [])

    def test_a_dribbled_tls_handshake_is_cut_off(self):
        client = self.client()
        self.assertEqual(client.command("EHLO client.example")[0], 250)
        self.assertEqual(client.command("STARTTLS")[0], 220)
        # The first bytes of a TLS ClientHello, one at a time: the handshake never completes.
        reply = self.dribble(client, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
        self.assertIsNone(reply, "the relay answered a half-open handshake")
        self.relay.wait_for_log(event="tls_failed")
        self.relay.wait_for_sample("mxrelay_inbound_sessions_cut_off_total", 1,
                                   reason="tls_handshake")

    def test_pauses_between_commands_are_not_cut_off(self):
        client = self.client()
        # Each pause is shorter than the idle timeout; together they are longer than both
        # deadlines.
        for line in ("EHLO client.example", "MAIL FROM:<sender@client.example>",
                     "RCPT TO:<user@slow.example>"):
            time.sleep(1.5)
            self.assertEqual(client.command(line)[0], 250, line)
        self.assertEqual(client.command("DATA")[0], 354)
        client.send("Subject: paced\r\n\r\n")
        time.sleep(1.5)
        client.send("body\r\n")
        time.sleep(1.0)
        code, text = client.command(".")
        self.assertEqual(code, 250, text)
        self.sink.wait_for_messages(1)


if __name__ == "__main__":
    unittest.main()
