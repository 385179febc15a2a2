"""e2e: a 550 to one of three recipients fails that recipient only. The other two are
delivered in the same transaction, the failed one gets a delivery status notification
(RFC 3464) to the envelope sender, and the message then leaves the queue."""

import email
import smtplib
import unittest
from email.message import EmailMessage

from harness import E2eTestCase, Mxrelay, SmtpSink, free_port, transport_table

SENDER = "sender@client.example"
GOOD = ["alice@dest.example", "carol@dest.example"]
UNKNOWN = "bob@dest.example"


class RecipientFailureTest(E2eTestCase):
    def test_550_on_one_recipient_bounces_only_that_one(self):
        sink_address = self.block.host(10)
        sink = self.start(SmtpSink(
            self.workdir, "sink", sink_address, free_port(sink_address),
            replies={f"rcpt:{UNKNOWN}": "550 5.1.1 No such user here"}))
        route = {"host": f"{sink_address}:{sink.port}"}
        relay = self.start(Mxrelay(
            self.workdir, self.block, {},
            extra_toml=transport_table({"dest.example": route, "client.example": route})))

        message = EmailMessage()
        message["From"] = SENDER
        message["To"] = ", ".join([GOOD[0], UNKNOWN, GOOD[1]])
        message["Subject"] = "three recipients"
        message.set_content("one of us does not exist\n")
        with smtplib.SMTP(*relay.smtp_server, timeout=30) as smtp:
            smtp.send_message(message, SENDER, [GOOD[0], UNKNOWN, GOOD[1]])

        messages = sink.wait_for_messages(2, timeout=30)
        delivered = [m for m in messages if m["mail_from"] == SENDER]
        self.assertEqual(len(delivered), 1)
        self.assertEqual(sorted(delivered[0]["rcpt_tos"]), sorted(GOOD))

        bounces = [m for m in messages if m["mail_from"] in ("", "<>")]
        self.assertEqual(len(bounces), 1, messages)
        self.assertEqual(bounces[0]["rcpt_tos"], [SENDER])
        report = email.message_from_string(bounces[0]["data"])
        self.assertEqual(report.get_content_type(), "multipart/report")
        status = next(part for part in report.walk()
                      if part.get_content_type() == "message/delivery-status")
        fields = "\n".join(str(block) for block in status.get_payload())
        self.assertIn(f"Final-Recipient: rfc822; {UNKNOWN}", fields)
        self.assertIn("Action: failed", fields)
        self.assertIn("Status: 5.1.1", fields)
        self.assertIn("Diagnostic-Code: smtp; 550 5.1.1 No such user here", fields)
        for good in GOOD:
            self.assertNotIn(good, fields)

        # Both the message and its notification leave the queue once delivered.
        relay.wait_for_logs(2, event="removed", timeout=20)
        self.assertEqual(relay.queue_entries(), [])


if __name__ == "__main__":
    unittest.main()
