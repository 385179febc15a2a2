"""e2e: a next hop that sends a reply no command asked for (issue "Hardening", point 1).

The scripted next hop offers PIPELINING and CHUNKING and, on its first connection, answers
MAIL FROM with "250 2.1.0 ok" and an unsolicited "250 2.0.0 extra" in the same segment, then
250 to RCPT and 550 5.7.1 to BDAT LAST: the exchange that once made a relay take the RCPT
reply for the reply to the content and log a refused message as delivered. The relay must
see the surplus reply as a protocol error, leave that connection, defer the message (never
log it sent, never bounce it) and deliver it on a later, well-behaved connection, once.
"""

import socket
import threading
import unittest

from harness import E2eTestCase, Mxrelay, free_port, send_smtplib, transport_table, wait_until

SENDER = "sender@client.example"


class ScriptedNextHop:
    """An SMTP server on one loopback address. Connection 1 misbehaves as described above;
    the others behave and accept every message. It records, per connection, the commands it
    read and the subjects of the messages it accepted."""

    name = "scripted-next-hop"

    def __init__(self, address, port):
        self.address = address
        self.port = port
        self._lock = threading.Lock()
        self.connections = []  # one list of command lines per connection
        self.accepted = []  # (connection number, Subject) of each accepted message
        self._listener = None

    def start(self):
        self._listener = socket.create_server((self.address, self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self):
        if self._listener is not None:
            self._listener.close()

    def logs(self):
        return []

    def _accept(self):
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections.append([])
                number = len(self.connections)
            threading.Thread(target=self._serve, args=(client, number), daemon=True).start()

    def _serve(self, client, number):
        stream = client.makefile("rb")
        misbehave = number == 1
        try:
            client.sendall(b"220 scripted.example ESMTP\r\n")
            while line := stream.readline():
                command = line.rstrip(b"\r\n").decode("latin-1")
                with self._lock:
                    self.connections[number - 1].append(command)
                verb = command.split(" ", 1)[0].upper()
                if verb == "EHLO":
                    client.sendall(b"250-scripted.example\r\n250-PIPELINING\r\n250-CHUNKING\r\n"
                                   b"250 8BITMIME\r\n")
                elif verb == "MAIL":
                    client.sendall(b"250 2.1.0 ok\r\n250 2.0.0 extra\r\n" if misbehave
                                   else b"250 2.1.0 ok\r\n")
                elif verb == "RCPT":
                    client.sendall(b"250 2.1.5 ok\r\n")
                elif verb == "BDAT":
                    size = int(command.split()[1])
                    content = stream.read(size)
                    if misbehave:
                        client.sendall(b"550 5.7.1 refused\r\n")
                        continue
                    subject = next((h[9:] for h in content.decode("latin-1").split("\r\n")
                                    if h.startswith("Subject: ")), "")
                    with self._lock:
                        self.accepted.append((number, subject))
                    client.sendall(b"250 2.0.0 queued\r\n")
                elif verb == "RSET":
                    client.sendall(b"250 2.0.0 reset\r\n")
                elif verb == "QUIT":
                    client.sendall(b"221 2.0.0 bye\r\n")
                    return
                else:
                    client.sendall(b"502 5.5.2 not scripted\r\n")
        except OSError:
            pass
        finally:
            client.close()


class MisbehavingNextHopTest(E2eTestCase):
    def test_a_surplus_reply_defers_the_message_and_it_is_delivered_once_later(self):
        hop_address = self.block.host(40)
        hop = self.start(ScriptedNextHop(hop_address, free_port(hop_address)))
        relay = self.start(Mxrelay(
            self.workdir, self.block, {"delivery": {"use_bdat": True}},
            extra_toml=transport_table({"scripted.example": {
                "host": f"{hop_address}:{hop.port}", "tls": "none"}}),
        ))

        send_smtplib(relay.smtp_server, SENDER, "user@scripted.example", subject="message A")
        queue_id = relay.wait_for_log(event="accepted")["queue_id"]

        deferred = relay.wait_for_log(event="delivery", queue_id=queue_id, status="deferred")
        self.assertEqual(deferred["dsn"], "4.5.0", deferred["_line"])
        self.assertIn("no command asked for", deferred["reply"], deferred["_line"])
        relay.wait_for_sample("mxrelay_outbound_protocol_errors_total", 1.0)

        sent = relay.wait_for_log(event="delivery", queue_id=queue_id, status="sent", timeout=30)
        self.assertEqual(sent["dsn"], "2.0.0", sent["_line"])
        wait_until(lambda: relay.queue_entry(queue_id) is None, 10, "the message to leave the queue")

        with hop._lock:
            first_connection = list(hop.connections[0])
            accepted = list(hop.accepted)
        # Nothing more went over the connection after the surplus reply: no second message,
        # no RSET as if the transaction could go on.
        self.assertEqual([c.split(" ", 1)[0] for c in first_connection][:4],
                         ["EHLO", "MAIL", "RCPT", "BDAT"], first_connection)
        self.assertNotIn("MAIL", [c.split(" ", 1)[0] for c in first_connection[4:]])
        self.assertEqual(len(accepted), 1, accepted)
        self.assertNotEqual(accepted[0][0], 1, "accepted on the misbehaving connection")
        self.assertEqual(accepted[0][1], "message A")
        self.assertEqual(relay.log_events(event="delivery", queue_id=queue_id, status="sent"),
                         [sent])
        self.assertEqual(relay.log_events(event="delivery", status="bounced"), [])


if __name__ == "__main__":
    unittest.main()
