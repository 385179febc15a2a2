"""e2e: SMTP smuggling (CVE-2023-51764/51765/51766). For every end-of-data look-alike from
the public research, a message body carries that ending followed by a smuggled
MAIL/RCPT/DATA transaction, then the real <CRLF>.<CRLF>. mxrelay must refuse the message
with a 5xx (bare CR, LF or NUL), never answer 250 to the smuggled commands, queue nothing
from them, and still accept and relay a clean message on the same connection once."""

import unittest

from harness import E2eTestCase, Mxrelay, RawSmtp, SmtpSink, free_port, transport_table

ENDINGS = [
    b"\n.\n",
    b"\r.\r",
    b"\r.\n",
    b"\n.\r",
    b"\n.\r\n",
    b"\r\n.\n",
    b"\r.\r\n",
    b"\r\n.\r",
    b"\r\n\0.\r\n",
]
SMUGGLED = b"MAIL FROM:<evil@x>\r\nRCPT TO:<victim@y>\r\nDATA\r\nsmuggled\r\n.\r\n"
SENDER = "clean@client.example"
RECIPIENT = "user@destination.example"


class SmtpSmugglingTest(E2eTestCase):
    def setUp(self):
        super().setUp()
        address = self.block.host(10)
        self.sink = self.start(SmtpSink(self.workdir, "sink", address, free_port(address)))
        route = transport_table({"*": {"host": f"{address}:{self.sink.port}"}})
        self.relay = self.start(Mxrelay(self.workdir, self.block, extra_toml=route))

    def transaction(self, client, sender, recipient):
        self.assertEqual(client.command(f"MAIL FROM:<{sender}>")[0], 250)
        self.assertEqual(client.command(f"RCPT TO:<{recipient}>")[0], 250)
        self.assertEqual(client.command("DATA")[0], 354)

    def replies_until_noop(self, client):
        """Sends NOOP and returns every reply before NOOP's own 250."""
        client.send("NOOP\r\n")
        replies = []
        while (reply := client.reply()) != (250, "2.0.0 Ok"):
            replies.append(reply)
        return replies

    def test_no_end_of_data_look_alike_smuggles_a_second_message(self):
        for index, ending in enumerate(ENDINGS):
            with self.subTest(ending=ending), RawSmtp(self.relay.smtp_server) as client:
                self.assertEqual(client.reply()[0], 220)
                self.assertEqual(client.command("EHLO client.mxrelay-test.example")[0], 250)
                self.transaction(client, SENDER, RECIPIENT)
                client.send(
                    f"Subject: smuggling {index}\r\n\r\nhello".encode()
                    + ending + SMUGGLED + b"\r\n.\r\n"
                )
                replies = self.replies_until_noop(client)
                self.assertTrue(replies, "no reply to the end of data")
                code, text = replies[0]
                self.assertEqual((code, text[:5]), (550, "5.6.2"), replies)
                for code, text in replies:
                    self.assertGreaterEqual(code, 500, replies)

                self.transaction(client, SENDER, RECIPIENT)
                client.send(f"Subject: clean {index}\r\n\r\nclean body\r\n.\r\n")
                code, text = client.reply()
                self.assertEqual(code, 250, text)
                self.assertIn("queued as", text)
                self.assertEqual(client.command("QUIT")[0], 221)

        messages = self.sink.wait_for_messages(len(ENDINGS))
        self.relay.wait_for_logs(len(ENDINGS), event="removed")
        messages = self.sink.messages()
        self.assertEqual(len(messages), len(ENDINGS))
        for message in messages:
            self.assertEqual((message["mail_from"], message["rcpt_tos"]), (SENDER, [RECIPIENT]))
            self.assertNotIn("smuggl", message["data"])
            self.assertNotIn("evil@x", message["data"])
        subjects = sorted(m["data"].split("Subject: ")[1].split("\r\n")[0] for m in messages)
        self.assertEqual(subjects, sorted(f"clean {i}" for i in range(len(ENDINGS))))

        accepted = self.relay.log_events(event="accepted")
        self.assertEqual(len(accepted), len(ENDINGS))
        self.assertEqual({a["from"] for a in accepted}, {f"<{SENDER}>"})
        self.assertEqual(self.relay.log_events(pattern="evil@x|victim@y"), [])
        self.assertEqual(
            self.relay.metric("mxrelay_inbound_rejections_total", dsn="5.6.2"), len(ENDINGS)
        )
        self.assertEqual(self.relay.metrics()["mxrelay_messages_received_total"], len(ENDINGS))


if __name__ == "__main__":
    unittest.main()
