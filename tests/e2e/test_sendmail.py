"""e2e: `mxrelay sendmail`, the sendmail(1) of the relay host, submitting to a real relay
whose next hop is an aiosmtpd sink. Checked: -t takes the recipients from To, Cc (a group)
and Bcc, and the Bcc field does not reach the sink; -f sets the envelope sender and -F the
added From:; Date and Message-ID are added; without -i a "." line ends the message, with
-i it is content; mxrelay run through a link named sendmail behaves the same; the exit
statuses of sysexits.h with their messages: 75 when the relay is not running or refuses a
recipient for now (nothing is sent), 64 for an unknown option, 67 for a recipient without a
domain."""

import os
import re
import subprocess
import unittest

from harness import E2eTestCase, Mxrelay, SmtpSink, free_port, mxrelay_bin, transport_table

SENDER = "ops@client.example"

HEADER_RECIPIENTS = (
    "To: Ann Example <ann@destination.example>\n"
    "Cc: admins: root@destination.example, (the boss) boss@destination.example;\n"
    "Bcc: hidden@destination.example\n"
    "Subject: nightly backup\n"
    "\n"
    "backup finished\n"
)


class SendmailCase(E2eTestCase):
    """A relay routing "*" to a sink on 127.x.y.10."""

    def setUp(self):
        super().setUp()
        sink_address = self.block.host(10)
        self.sink = self.start(
            SmtpSink(self.workdir, "next-hop", sink_address, free_port(sink_address)))
        entry = {"host": f"[{sink_address}]:{self.sink.port}"}
        self.relay = self.start(
            Mxrelay(self.workdir, self.block, extra_toml=transport_table({"*": entry})))

    def sendmail(self, *args, message, program=None):
        """`mxrelay sendmail -c CONFIG ARGS...` (or PROGRAM -c CONFIG ARGS...) with `message`
        on stdin -> CompletedProcess."""
        argv = [program] if program else [mxrelay_bin(), "sendmail"]
        return subprocess.run(
            [*argv, "-c", str(self.relay.config_path), *args],
            input=message, capture_output=True, text=True, timeout=30,
        )

    def delivered(self, count=1):
        return self.sink.wait_for_messages(count)

    def header_of(self, data):
        return data.split("\r\n\r\n", 1)[0]

    def test_t_takes_to_cc_and_bcc_and_removes_bcc(self):
        done = self.sendmail("-t", "-f", SENDER, message=HEADER_RECIPIENTS)
        self.assertEqual(done.returncode, 0, done.stderr)
        [message] = self.delivered()
        self.assertEqual(message["mail_from"], SENDER)
        self.assertEqual(sorted(message["rcpt_tos"]), [
            "ann@destination.example", "boss@destination.example",
            "hidden@destination.example", "root@destination.example",
        ])
        header = self.header_of(message["data"])
        self.assertNotRegex(header, r"(?im)^bcc:")
        self.assertNotIn("hidden@destination.example", message["data"])
        self.assertIn("Cc: admins: root@destination.example", header)
        self.assertRegex(header, r"(?m)^Date: \w{3}, \d{1,2} \w{3} \d{4} ")
        self.assertRegex(
            header, r"(?m)^Message-ID: <[0-9]+\.[0-9a-f]{16}@relay\.mxrelay\.example>")
        self.assertRegex(header, rf"(?m)^From: {re.escape(SENDER)}\r?$")

    def test_f_and_F_set_the_sender_and_the_added_from(self):
        done = self.sendmail(
            "-F", "Backup job", f"-f{SENDER}", "-oi", "-odi", "-oem", "ann@destination.example",
            message="Subject: report\n\nall good\n",
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        [message] = self.delivered()
        self.assertEqual(message["mail_from"], SENDER)
        self.assertEqual(message["rcpt_tos"], ["ann@destination.example"])
        self.assertRegex(
            self.header_of(message["data"]), rf"(?m)^From: Backup job <{re.escape(SENDER)}>\r?$")

    def test_a_from_the_message_is_kept(self):
        done = self.sendmail(
            "-r", SENDER, "ann@destination.example",
            message="From: Cron <cron@client.example>\nSubject: x\n\nbody\n",
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        [message] = self.delivered()
        self.assertEqual(message["mail_from"], SENDER)
        header = self.header_of(message["data"])
        self.assertEqual(
            re.findall(r"(?mi)^From:[^\r\n]*", header), ["From: Cron <cron@client.example>"])

    def test_a_dot_line_ends_the_message_unless_i(self):
        text = "Subject: dots\n\nbefore\n.\nafter\n..two dots\n"
        done = self.sendmail("-f", SENDER, "ann@destination.example", message=text)
        self.assertEqual(done.returncode, 0, done.stderr)
        done = self.sendmail("-i", "-f", SENDER, "bob@destination.example", message=text)
        self.assertEqual(done.returncode, 0, done.stderr)
        messages = {m["rcpt_tos"][0]: m["data"] for m in self.delivered(2)}
        without_i = messages["ann@destination.example"]
        self.assertTrue(without_i.endswith("\r\n\r\nbefore\r\n"), without_i)
        with_i = messages["bob@destination.example"]
        self.assertTrue(with_i.endswith("\r\n\r\nbefore\r\n.\r\nafter\r\n..two dots\r\n"), with_i)

    def test_a_link_named_sendmail_is_mxrelay_sendmail(self):
        link = self.workdir / "sendmail"
        os.symlink(mxrelay_bin(), link)
        done = self.sendmail("-t", "-f", SENDER, message=HEADER_RECIPIENTS, program=str(link))
        self.assertEqual(done.returncode, 0, done.stderr)
        [message] = self.delivered()
        self.assertEqual(len(message["rcpt_tos"]), 4)

    def test_the_relay_down_is_a_temporary_failure(self):
        self.relay.stop()
        done = self.sendmail("-f", SENDER, "ann@destination.example", message="Subject: x\n\ny\n")
        self.assertEqual(done.returncode, 75, done.stderr)  # EX_TEMPFAIL
        address, port = self.relay.smtp_server
        self.assertIn(f"cannot connect to the relay at {address}:{port}", done.stderr)
        self.assertIn("is mxrelay running?", done.stderr)

    def test_a_refused_recipient_sends_nothing_and_says_why(self):
        self.relay.config["server"]["max_recipients"] = 1
        self.relay.write_config(transport_table(
            {"*": {"host": f"[{self.sink.addresses[0]}]:{self.sink.port}"}}))
        self.relay.restart()
        done = self.sendmail("-f", SENDER, "ann@destination.example", "boss@destination.example",
                             message="Subject: x\n\ny\n")
        self.assertEqual(done.returncode, 75, done.stderr)  # EX_TEMPFAIL: sendmail may retry
        self.assertRegex(
            done.stderr, r"the relay refused RCPT TO:<boss@destination\.example>: 452 4\.5\.3")
        refusal = self.relay.wait_for_log(event="reject", command="RCPT TO:<boss@destination.example>")
        self.assertEqual(refusal["from"], f"<{SENDER}>", refusal["_line"])
        self.assertEqual(self.relay.log_events(event="accepted"), [])
        self.assertEqual(self.sink.messages(), [])

    def test_usage_and_recipient_errors(self):
        done = self.sendmail("-bs", message="")
        self.assertEqual(done.returncode, 64, done.stderr)  # EX_USAGE
        self.assertIn("unknown option -bs", done.stderr)
        done = self.sendmail("-t", message="To: root\nSubject: cron\n\nout\n")
        self.assertEqual(done.returncode, 67, done.stderr)  # EX_NOUSER
        self.assertIn("recipient root has no domain", done.stderr)
        done = self.sendmail("-f", SENDER, message="Subject: x\n\ny\n")
        self.assertEqual(done.returncode, 64, done.stderr)
        self.assertIn("no recipient given", done.stderr)
        self.assertEqual(self.sink.messages(), [])


if __name__ == "__main__":
    unittest.main()
