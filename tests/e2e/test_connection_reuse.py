"""e2e: connection reuse and outbound connection limits. 100 messages for one destination
arrive within about a second; the sink must see at most max_connections_per_destination
connections (the transport entry's max_connections when it sets one), every message must
arrive, and the metrics must count the reused connections. Idle connections are closed
after delivery.connection_idle_time."""

import concurrent.futures
import time
import unittest

from harness import (E2eTestCase, Mxrelay, SmtpSink, free_port, send_numbered,
                     transport_table, wait_until)

SENDER = "sender@client.example"
RECIPIENT = "user@reuse.example"
MESSAGES = 100
CLIENT_SESSIONS = 10


class ConnectionReuseTest(E2eTestCase):
    def start_relay(self, delivery, entry=None):
        sink_address = self.block.host(10)
        self.sink = self.start(SmtpSink(self.workdir, "sink", sink_address,
                                        free_port(sink_address)))
        route = {"host": f"{sink_address}:{self.sink.port}", **(entry or {})}
        self.relay = self.start(
            Mxrelay(self.workdir, self.block, {"delivery": delivery},
                    extra_toml=transport_table({"reuse.example": route}))
        )

    def send_burst(self):
        started = time.monotonic()
        per_session = MESSAGES // CLIENT_SESSIONS
        with concurrent.futures.ThreadPoolExecutor(CLIENT_SESSIONS) as pool:
            batches = [
                pool.submit(send_numbered, self.relay.smtp_server, SENDER, RECIPIENT,
                            i * per_session, per_session, "reuse")
                for i in range(CLIENT_SESSIONS)
            ]
            for batch in batches:
                batch.result()
        return time.monotonic() - started

    def assert_all_delivered(self):
        messages = self.sink.wait_for_messages(MESSAGES, timeout=90)
        self.assertEqual(len(messages), MESSAGES)
        subjects = {m["data"].split("Subject: ", 1)[1].split("\n", 1)[0].strip()
                    for m in messages if "Subject: " in m.get("data", "")}
        if subjects:
            self.assertEqual(len(subjects), MESSAGES, "a message arrived twice or not at all")

    def test_hundred_messages_use_at_most_the_per_destination_limit(self):
        self.start_relay({"max_connections_per_destination": 3, "connection_idle_time": "5s"})
        elapsed = self.send_burst()
        self.assertLess(elapsed, 10, "the burst was meant to arrive within seconds")

        self.assert_all_delivered()
        connections = self.sink.connections()
        self.assertLessEqual(len(connections), 3, connections)
        self.assertGreaterEqual(len(connections), 1)
        opened = len(connections)
        self.relay.wait_for_sample("mxrelay_outbound_connections_total", opened, kind="opened")
        self.relay.wait_for_sample("mxrelay_outbound_connections_total", MESSAGES - opened,
                                   kind="reused")
        # The sink can have a message before the relay recorded its 250: wait for the counters.
        self.relay.wait_for_sample("mxrelay_messages_finished_total", MESSAGES,
                                   outcome="delivered")
        self.relay.wait_for_sample("mxrelay_delivery_attempts_total", MESSAGES, status="sent",
                                   dsn="2.0.0")

    def test_transport_entry_limit_and_messages_per_connection(self):
        self.start_relay({"max_connections_per_destination": 10,
                          "max_messages_per_connection": 30, "connection_idle_time": "30s"},
                         {"max_connections": 1})
        self.send_burst()
        self.assert_all_delivered()
        # One connection at a time, each carrying at most 30 messages: exactly 4.
        self.assertEqual(len(self.sink.connections()), 4, self.sink.connections())

    def test_idle_connection_is_closed_after_the_idle_time(self):
        self.start_relay({"connection_idle_time": "1s"})
        send_numbered(self.relay.smtp_server, SENDER, RECIPIENT, 0, 1, "reuse")
        self.sink.wait_for_messages(1)
        # The gauge reads 1 while the connection is parked, 0 once the idle time closed it.
        self.relay.wait_for_sample("mxrelay_destination_connections", 0, timeout=10,
                                   destination="reuse.example")
        self.assertEqual(len(self.sink.connections()), 1)
        # The next message needs a new connection.
        send_numbered(self.relay.smtp_server, SENDER, RECIPIENT, 1, 1, "reuse")
        self.sink.wait_for_messages(2)
        wait_until(lambda: len(self.sink.connections()) == 2, 10, "a second connection")


if __name__ == "__main__":
    unittest.main()
