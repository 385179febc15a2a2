"""e2e: real SMTP clients against mxrelay's inbound server, each message relayed to a sink
through the transport entry "*" = { host = SINK }: swaks (plain, pipelining, STARTTLS,
AUTH from outside relay_networks), Python smtplib with SMTPUTF8, BDAT chunks over a raw
socket, the TLS protocol floor checked with openssl s_client, and Postfix's smtp-source
for concurrent load (50 sessions) into Postfix's smtp-sink."""

import base64
import os
import smtplib
import stat
import shutil
import subprocess
import sys
import time
import unittest

from harness import (
    E2eTestCase,
    Mxrelay,
    PostfixSmtpSink,
    RawSmtp,
    SmtpSink,
    free_port,
    self_signed_certificate,
    send_swaks,
    transport_table,
    wait_until,
    write_credentials,
)

SENDER = "sender@client.example"
RECIPIENT = "user@destination.example"
AUTH_USER = "domino"
AUTH_PASSWORD = "s3cret pass phrase"

LOAD_SESSIONS = 50
LOAD_MESSAGES = 5000
LOAD_MESSAGE_BYTES = 4096
LOAD_DEADLINE = 90.0


def route_everything_to(address, port):
    """The [transport] table that sends every domain to one host (no DNS involved)."""
    return transport_table({"*": {"host": f"{address}:{port}"}})


class InboundClientsTest(E2eTestCase):
    def start_relay(self, server=None, sink=None):
        """The relay with `server` settings merged in, delivering everything to `sink`
        (default: a fresh aiosmtpd sink, kept as self.sink)."""
        if sink is None:
            address = self.block.host(10)
            sink = self.start(SmtpSink(self.workdir, "sink", address, free_port(address)))
            self.sink = sink
        route = route_everything_to(sink_address(sink), sink.port)
        self.relay = self.start(
            Mxrelay(self.workdir, self.block, {"server": server or {}}, extra_toml=route)
        )
        return self.relay

    def tls_settings(self):
        cert, key = self_signed_certificate(self.workdir / "tls", "relay.mxrelay.example")
        return {"tls_cert_file": str(cert), "tls_key_file": str(key)}

    def only_message(self):
        (message,) = self.sink.wait_for_messages(1)
        self.relay.wait_for_log(event="removed")
        self.assertEqual(len(self.sink.messages()), 1)
        return message

    def test_swaks_plain(self):
        self.start_relay()
        send_swaks(self.relay.smtp_server, SENDER, RECIPIENT)

        message = self.only_message()
        self.assertEqual((message["mail_from"], message["rcpt_tos"]), (SENDER, [RECIPIENT]))
        self.assertRegex(
            message["data"], r"^Received: from client\.mxrelay-test\.example \(\[127\.[\d.]+\]\)"
        )
        self.assertIn(" with ESMTP id ", message["data"])
        self.assertIn("This is a test mailing", message["data"])

    def test_swaks_pipelining(self):
        self.start_relay()
        sent = send_swaks(self.relay.smtp_server, SENDER, RECIPIENT, extra_args=["--pipeline"])

        self.assertRegex(sent.transcript, r"<-  250[- ]PIPELINING")
        self.assertNotIn("does not support PIPELINING", sent.transcript)
        message = self.only_message()
        self.assertEqual(message["rcpt_tos"], [RECIPIENT])

    def test_swaks_starttls(self):
        self.start_relay(self.tls_settings())
        sent = send_swaks(self.relay.smtp_server, SENDER, RECIPIENT, extra_args=["--tls"])

        self.assertIn("TLS started", sent.transcript)
        message = self.only_message()
        self.assertRegex(message["data"], r"\(using TLSv1\.[23] with cipher \S+")
        self.assertIn(" with ESMTPS id ", message["data"])
        accepted = self.relay.wait_for_log(event="accepted")
        self.assertRegex(accepted["tls"], r"^TLSv1\.[23]$")

    def test_swaks_auth_relays_from_outside_relay_networks_and_nothing_without_it(self):
        inside, outside = self.block.host(9), self.block.host(2)
        credentials = write_credentials(self.workdir / "credentials", AUTH_USER, AUTH_PASSWORD)
        self.assertEqual(stat.S_IMODE(os.stat(credentials).st_mode), 0o600)
        self.start_relay(
            {
                **self.tls_settings(),
                "relay_networks": [f"{inside}/32"],
                "credentials_file": str(credentials),
            }
        )
        auth = ["--tls", "--auth", "PLAIN", "--auth-user", AUTH_USER,
                "--auth-password", AUTH_PASSWORD]

        sent = send_swaks(
            self.relay.smtp_server, SENDER, RECIPIENT, local_interface=outside, extra_args=auth
        )
        self.assertRegex(sent.transcript, r"<~  235 2\.7\.0")
        message = self.only_message()
        self.assertIn(" with ESMTPSA id ", message["data"])
        self.assertEqual(self.relay.wait_for_log(event="accepted")["sasl_username"], AUTH_USER)

        refused = send_swaks(
            self.relay.smtp_server, SENDER, RECIPIENT, local_interface=outside,
            extra_args=["--tls"], expect_success=False,
        )
        self.assertNotEqual(refused.returncode, 0, refused.transcript)
        self.assertRegex(refused.transcript, r"<~\* +554[ -]5\.7\.1")
        self.assertEqual(len(self.relay.log_events(event="accepted")), 1)
        self.assertEqual(len(self.sink.messages()), 1)

        # Each refusal is one log line naming the client, the command and the reply; a
        # failed AUTH shows the mechanism, never the credentials.
        denied = self.relay.wait_for_log(event="reject", command=f"RCPT TO:<{RECIPIENT}>")
        self.assertEqual(denied["client"], f"[{outside}]", denied["_line"])
        self.assertEqual(denied["reply"], "554 5.7.1 Relay access denied", denied["_line"])
        self.assertEqual(denied["helo"], "client.mxrelay-test.example", denied["_line"])
        send_swaks(self.relay.smtp_server, SENDER, RECIPIENT, local_interface=outside,
                   extra_args=["--tls", "--auth", "PLAIN", "--auth-user", AUTH_USER,
                               "--auth-password", "wrong horse"], expect_success=False)
        failed = self.relay.wait_for_log(event="reject", command="AUTH PLAIN")
        self.assertRegex(failed["reply"], r"^535 5\.7\.8 ", failed["_line"])
        self.assertEqual(failed["client"], f"[{outside}]")
        secret = base64.b64encode(f"\0{AUTH_USER}\0wrong horse".encode()).decode()
        log = self.relay.logs()[1].read_text()
        self.assertNotIn(secret, log)
        self.assertNotIn("wrong horse", log)

    def test_smtplib_smtputf8(self):
        self.start_relay()
        sender, recipient = "jörg@client.example", "ünïcødé@destination.example"
        content = (
            f"From: {sender}\r\nTo: {recipient}\r\nSubject: Grüße\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\nÜmlauts and ß in the body.\r\n"
        ).encode()
        with smtplib.SMTP(*self.relay.smtp_server, timeout=15) as smtp:
            smtp.ehlo("client.mxrelay-test.example")
            self.assertTrue(smtp.has_extn("smtputf8"))
            refused = smtp.sendmail(
                sender, [recipient], content, mail_options=["SMTPUTF8", "BODY=8BITMIME"]
            )
        self.assertEqual(refused, {})

        delivery = self.relay.wait_for_log(event="delivery")
        if delivery["status"] != "sent":  # only when the sink lacked SMTPUTF8
            self.assertEqual(delivery["dsn"], "5.6.7", delivery["_line"])
            return
        message = self.only_message()
        self.assertEqual((message["mail_from"], message["rcpt_tos"]), (sender, [recipient]))
        self.assertIn("Subject: Grüße", message["data"])
        self.assertIn("Ümlauts and ß in the body.", message["data"])

    def test_bdat_chunks_arrive_intact(self):
        self.start_relay()
        content = (
            b"From: <sender@client.example>\r\nTo: <user@destination.example>\r\n"
            b"Subject: chunked\r\n\r\nfirst line\r\n.a line that starts with a dot\r\n"
            b"..two dots\r\n.\r\nlast line before the end\r\n"
        )
        # One cut splits a line, one a CRLF, one falls before a dot-led line.
        cuts = [0, 40, content.index(b"\r\n..two") + 1, content.index(b".\r\nlast"), len(content)]
        chunks = [content[a:b] for a, b in zip(cuts, cuts[1:])]

        with RawSmtp(self.relay.smtp_server) as client:
            self.assertEqual(client.reply()[0], 220)
            code, ehlo = client.command("EHLO client.mxrelay-test.example")
            self.assertEqual(code, 250)
            self.assertIn("CHUNKING", ehlo.split("\n"))
            burst = f"MAIL FROM:<{SENDER}>\r\nRCPT TO:<{RECIPIENT}>\r\n".encode()
            for chunk in chunks:
                burst += f"BDAT {len(chunk)}\r\n".encode() + chunk
            burst += b"BDAT 0 LAST\r\n"
            client.send(burst)
            replies = [client.reply() for _ in range(2 + len(chunks) + 1)]
            self.assertEqual([code for code, _ in replies], [250] * len(replies), replies)
            self.assertIn("queued as", replies[-1][1])
            self.assertEqual(client.command("QUIT")[0], 221)

        data = self.only_message()["data"]
        self.assertTrue(data.startswith("Received: from client.mxrelay-test.example"), data)
        self.assertEqual(data.count("Received: "), 1)
        self.assertTrue(data.endswith(content.decode()), repr(data))

    def test_tls_below_1_2_refused(self):
        self.start_relay(self.tls_settings())
        address, port = self.relay.smtp_server

        def s_client(version):
            return subprocess.run(
                ["openssl", "s_client", "-brief", "-ign_eof", "-starttls", "smtp",
                 "-connect", f"{address}:{port}", version, "-cipher", "DEFAULT:@SECLEVEL=0"],
                input="QUIT\r\n", capture_output=True, text=True, timeout=30,
            )

        old = s_client("-tls1_1")
        self.assertNotEqual(old.returncode, 0, old.stdout + old.stderr)
        self.assertNotIn("Protocol version: TLSv1.1", old.stdout + old.stderr)
        self.assertRegex(old.stderr, r"(?i)alert protocol version|unsupported protocol")

        current = s_client("-tls1_2")
        self.assertIn("Protocol version: TLSv1.2", current.stdout + current.stderr)
        self.assertIn("221 2.0.0", current.stdout)

        self.relay.wait_for_sample(
            "mxrelay_inbound_tls_handshakes_total", 1, protocol="none", result="failure"
        )
        self.relay.wait_for_sample(
            "mxrelay_inbound_tls_handshakes_total", 1, protocol="TLSv1.2", result="success"
        )

    def test_certificate_is_reloaded_on_sighup(self):
        settings = self.tls_settings()
        self.start_relay(settings)
        address, port = self.relay.smtp_server

        def served_subject():
            done = subprocess.run(
                ["openssl", "s_client", "-brief", "-ign_eof", "-starttls", "smtp",
                 "-connect", f"{address}:{port}"],
                input="QUIT\r\n", capture_output=True, text=True, timeout=30,
            )
            return done.stdout + done.stderr

        self.assertIn("CN = relay.mxrelay.example", served_subject())
        cert, key = self_signed_certificate(self.workdir / "renewed", "renewed.mxrelay.example")
        shutil.copyfile(cert, settings["tls_cert_file"])
        shutil.copyfile(key, settings["tls_key_file"])
        self.relay.sighup()
        self.relay.wait_for_log(event="reload", result="ok")
        self.assertIn("CN = renewed.mxrelay.example", served_subject())
        self.assertEqual(self.relay.log_events(event="reload_warning"), [])

    def test_smtp_source_load_all_accepted_and_relayed(self):
        address = self.block.host(11)
        sink = self.start(PostfixSmtpSink(self.workdir, "smtp-sink", address, free_port(address)))
        relay = self.start_relay(sink=sink)
        started = time.monotonic()
        source = subprocess.run(
            ["smtp-source", "-s", str(LOAD_SESSIONS), "-m", str(LOAD_MESSAGES),
             "-l", str(LOAD_MESSAGE_BYTES), "-f", "s@client.example",
             "-t", "r@destination.example", f"{relay.address}:{relay.port}"],
            capture_output=True, text=True, timeout=LOAD_DEADLINE,
        )
        accepted_after = time.monotonic() - started
        self.assertEqual(source.returncode, 0, source.stdout + source.stderr)
        self.assertEqual(relay.count_log("event=accepted "), LOAD_MESSAGES)

        def all_relayed():
            relay.process.check_running()
            return relay.count_log("event=removed ") >= LOAD_MESSAGES

        wait_until(all_relayed, LOAD_DEADLINE - accepted_after, "every message relayed", 0.2)
        relayed_after = time.monotonic() - started
        self.assertEqual(relay.count_log(" status=sent "), LOAD_MESSAGES)
        self.assertEqual(relay.count_log(" status=deferred "), 0)
        sink.wait_for_messages(LOAD_MESSAGES, timeout=10)
        self.assertEqual(sink.message_count(), LOAD_MESSAGES)
        sys.stderr.write(
            f"\nsmtp-source {LOAD_SESSIONS} sessions x {LOAD_MESSAGE_BYTES} B: "
            f"{LOAD_MESSAGES} accepted in {accepted_after:.1f}s "
            f"({LOAD_MESSAGES / accepted_after:.0f}/s), relayed end to end in "
            f"{relayed_after:.1f}s ({LOAD_MESSAGES / relayed_after:.0f} messages/s)\n"
        )


def sink_address(sink):
    return sink.addresses[0] if hasattr(sink, "addresses") else sink.address


if __name__ == "__main__":
    unittest.main()
