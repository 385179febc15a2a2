"""e2e: RFC 5321 6.1 under SIGKILL. Many clients send concurrently and note every message the
relay answered 250 for; the relay is killed with SIGKILL at a random moment, restarted on the
same spool, and every acknowledged message must still reach the sink (duplicates are allowed:
delivery is at-least-once; losses are not). Several rounds, each killed at another point."""

import random
import smtplib
import threading
import time
import unittest
from email.message import EmailMessage

from harness import E2eTestCase, Mxrelay, SmtpSink, free_port, transport_table, wait_until

CLIENTS = 16
MESSAGES_PER_CLIENT = 60
ROUNDS = 3


class Sender(threading.Thread):
    """One SMTP client session sending messages until told to stop or the relay dies; keeps
    the Message-IDs the relay acknowledged with 250."""

    def __init__(self, server, name, count, acknowledged, lock):
        super().__init__(daemon=True)
        self.server, self.name_prefix, self.count = server, name, count
        self.acknowledged, self.lock = acknowledged, lock

    def run(self):
        try:
            with smtplib.SMTP(*self.server, timeout=10) as smtp:
                smtp.ehlo("client.crash.example")
                for n in range(self.count):
                    message_id = f"<{self.name_prefix}-{n}@crash.example>"
                    message = EmailMessage()
                    message["From"] = "sender@client.example"
                    message["To"] = "user@crash.example"
                    message["Subject"] = f"crash test {message_id}"
                    message["Message-ID"] = message_id
                    message.set_content("x" * 2000)
                    smtp.send_message(message)
                    with self.lock:
                        self.acknowledged.add(message_id)
        except (smtplib.SMTPException, OSError):
            pass  # the relay was killed: whatever got a 250 is in `acknowledged`


class CrashRecoveryTest(E2eTestCase):
    def test_every_acknowledged_message_survives_sigkill(self):
        sink_address = self.block.host(10)
        sink_port = free_port(sink_address)
        sink = self.start(SmtpSink(self.workdir, "sink", sink_address, sink_port))
        relay = self.start(
            Mxrelay(
                self.workdir,
                self.block,
                extra_toml=transport_table({"*": {"host": f"[{sink_address}]:{sink_port}"}}),
            )
        )
        rng = random.Random()
        acknowledged = set()
        lock = threading.Lock()
        for round_number in range(ROUNDS):
            senders = [
                Sender(relay.smtp_server, f"r{round_number}c{c}", MESSAGES_PER_CLIENT,
                       acknowledged, lock)
                for c in range(CLIENTS)
            ]
            before = len(acknowledged)
            kill_after = rng.randint(50, CLIENTS * MESSAGES_PER_CLIENT // 2)
            for sender in senders:
                sender.start()
            wait_until(lambda: len(acknowledged) - before >= kill_after, 60,
                       f"{kill_after} acknowledged messages in round {round_number}")
            relay.kill()
            for sender in senders:
                sender.join(20)
            relay.start()

        def received_ids():
            ids = []
            for message in sink.messages():
                for line in message["data"].splitlines():
                    if line.lower().startswith("message-id:"):
                        ids.append(line.split(":", 1)[1].strip())
            return ids

        def all_arrived():
            return acknowledged <= set(received_ids())

        wait_until(all_arrived, 120, "every acknowledged message at the sink")
        ids = received_ids()
        missing = acknowledged - set(ids)
        self.assertFalse(missing, f"{len(missing)} acknowledged messages lost")
        duplicates = len(ids) - len(set(ids))
        print(f"\ncrash test: {len(acknowledged)} acknowledged over {ROUNDS} SIGKILLs, "
              f"{len(set(ids))} distinct delivered, {duplicates} duplicates")
        discarded = relay.log_events(event="spool_corrupt")
        self.assertEqual(discarded, [], "a record that got a 250 was found corrupt")


if __name__ == "__main__":
    unittest.main()
