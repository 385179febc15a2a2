"""e2e: the client's BDAT (RFC 3030) end to end. No external test peer offers CHUNKING
(Postfix's smtp-sink does not), so mxrelay A relays to mxrelay B, whose listener offers
CHUNKING and PIPELINING, and B relays to an aiosmtpd sink. A recording TCP proxy between A and
B keeps what A sent, which shows BDAT (delivery.use_bdat = true, the default) or DATA
(use_bdat = false). Either way a 8-bit body of about 250 KB with lines starting with "."
must arrive at the sink byte for byte.
"""

import smtplib
import socket
import threading
import unittest

from harness import (
    AddressBlock,
    E2eTestCase,
    Fixture,
    Mxrelay,
    SmtpSink,
    free_port,
    transport_table,
)

SENDER = "sender@client.example"
RECIPIENT = "user@bdat.example"
DOT_LINES = [".leading dot", "..two leading dots", ".", "..", ". dot and space"]


def eight_bit_message():
    """The message as CRLF-terminated bytes: a UTF-8 text body of about 250 KB (lines under
    1000 octets) with the DOT_LINES spread through it."""
    header = (
        f"From: <{SENDER}>\r\nTo: <{RECIPIENT}>\r\nSubject: bdat end to end\r\n"
        "Message-ID: <bdat-e2e@client.example>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    )
    lines = []
    for n in range(3000):
        if n % 150 == 0:
            lines.append(DOT_LINES[(n // 150) % len(DOT_LINES)])
        lines.append(f"{n:05d} Grüße aus Köln, ça va? Ωμέγα 東京 — žluťoučký kůň")
    lines.append("é" * 450)  # 900 octets: a long line, still within 998
    return (header + "\r\n".join(lines) + "\r\n").encode()


class RecordingProxy(Fixture):
    """A TCP relay from address:port to `target` (address, port) that keeps a copy of all
    bytes its clients sent."""

    name = "proxy"

    def __init__(self, address, port, target):
        self.address = address
        self.port = port
        self.target = target
        self._lock = threading.Lock()
        self._sent = bytearray()
        self._sockets = []
        self._listener = None

    def client_bytes(self):
        with self._lock:
            return bytes(self._sent)

    def _accept(self):
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target, timeout=10)
            server.settimeout(None)
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source, destination, record):
        try:
            while data := source.recv(65536):
                if record:
                    with self._lock:
                        self._sent += data
                destination.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, destination):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def start(self):
        self._listener = socket.create_server((self.address, self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self):
        if self._listener is None:
            return
        self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            for end in self._sockets:
                end.close()


class BdatTest(E2eTestCase):
    def start_chain(self, use_bdat):
        sink_address = self.block.host(30)
        self.sink = self.start(SmtpSink(self.workdir, "sink", sink_address,
                                        free_port(sink_address)))
        block_b = AddressBlock.random()
        while block_b.prefix == self.block.prefix:
            block_b = AddressBlock.random()
        self.relay_b = self.start(Mxrelay(
            self.workdir / "b", block_b,
            extra_toml=transport_table(
                {"bdat.example": {"host": f"{sink_address}:{self.sink.port}"}}),
        ))
        proxy_address = self.block.host(20)
        self.proxy = self.start(RecordingProxy(proxy_address, free_port(proxy_address),
                                               self.relay_b.smtp_server))
        self.relay_a = self.start(Mxrelay(
            self.workdir / "a", self.block, {"delivery": {"use_bdat": use_bdat}},
            extra_toml=transport_table(
                {"bdat.example": {"host": f"{proxy_address}:{self.proxy.port}"}}),
        ))

    def relay_message(self):
        """Sends the 8-bit message to A; returns it once the sink has it (with both relays'
        delivery logged as sent)."""
        message = eight_bit_message()
        with smtplib.SMTP(*self.relay_a.smtp_server, timeout=30) as smtp:
            smtp.ehlo("client.mxrelay-test.example")
            self.assertTrue(smtp.has_extn("8bitmime"))
            smtp.sendmail(SENDER, [RECIPIENT], message, mail_options=["BODY=8BITMIME"])
        (received,) = self.sink.wait_for_messages(1, timeout=30)
        for relay in (self.relay_a, self.relay_b):
            delivery = relay.wait_for_log(event="delivery", status="sent")
            self.assertEqual(delivery["dsn"], "2.0.0", delivery["_line"])
        return message, received

    def assert_arrived_unchanged(self, message, received):
        data = received["data"].encode()
        self.assertEqual(len(data), received["size"], "the sink got bytes that are not UTF-8")
        self.assertTrue(data.endswith(message), "the message changed on its way")
        trace = data[: -len(message)]
        self.assertEqual(trace.count(b"Received: "), 2, trace)
        self.assertEqual(received["rcpt_tos"], [RECIPIENT])

    def test_bdat_to_a_chunking_next_hop_keeps_the_message_byte_for_byte(self):
        self.start_chain(use_bdat=True)
        message, received = self.relay_message()
        self.assert_arrived_unchanged(message, received)

        sent = self.proxy.client_bytes()
        self.assertRegex(sent, rb"\r\nBDAT \d+ LAST\r\n", "A did not send BDAT")
        self.assertNotIn(b"\r\nDATA\r\n", sent)
        # BDAT carries the content as it is: no dot-stuffing.
        self.assertIn(b"\r\n.leading dot\r\n", sent)
        self.assertNotIn(b"\r\n..leading dot\r\n", sent)

    def test_data_when_use_bdat_is_off(self):
        self.start_chain(use_bdat=False)
        message, received = self.relay_message()
        self.assert_arrived_unchanged(message, received)

        sent = self.proxy.client_bytes()
        self.assertIn(b"\r\nDATA\r\n", sent)
        self.assertNotIn(b"BDAT ", sent)
        self.assertIn(b"\r\n..leading dot\r\n", sent, "DATA content must be dot-stuffed")


if __name__ == "__main__":
    unittest.main()
