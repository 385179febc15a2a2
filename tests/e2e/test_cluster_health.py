"""e2e: two relays with one [cluster] share per-address health and show the cluster's counts.
Relay a's circuit breaker opens for the address of health.example that answers 421 at the
greeting; relay b, which never tried it, learns the hold from Redis and skips that address
too. `mxrelay route --json` and `queue summary` on relay b count relay a's connection to the
site across the cluster, and say when the fallback limits are in force (Redis stopped)."""

import unittest

from harness import (E2eTestCase, Nsd, Redis, SmtpSink, free_port, render_zone, send_numbered,
                     wait_until)

SENDER = "sender@client.example"
RECIPIENT = "user@health.example"
BROKEN_REPLY = "421 4.3.2 Service not available, closing transmission channel"
# Each attempt starts at a random one of the two addresses: this many find the broken one
# with a probability of 1 - 2^-40.
MAX_MESSAGES_TO_FIND_IT = 40

SITE_TOML = """
[[shaping]]
site = "peer"
mx_suffixes = [".peer.health.example"]
max_connections = 4
"""


class ClusterHealthTest(E2eTestCase):
    def start_cluster(self, idle_time="1s", messages_per_connection=1):
        ns = self.block.host(53)
        zone = render_zone("health.example", NS=ns, NET=self.block.prefix)
        self.nsd = self.start(Nsd(self.workdir, ns, {"health.example": zone}))
        self.good_address, self.broken_address = self.block.host(40), self.block.host(41)
        port = free_port(self.good_address)
        self.good = self.start(SmtpSink(self.workdir, "good", self.good_address, port))
        self.broken = self.start(SmtpSink(self.workdir, "broken", self.broken_address, port,
                                          {"greeting": BROKEN_REPLY}))
        self.redis = self.start(Redis(self.workdir, self.block.host(30)))
        self.relays = self.start_cluster_relays(
            self.redis,
            {"dns": {"stub": self.nsd.stubs()},
             "delivery": {"port": port, "max_messages_per_connection": messages_per_connection,
                          "connection_idle_time": idle_time,
                          "health_failure_threshold": 1, "health_cool_down": "10m"},
             "queue": {"retry_intervals": ["1s"]}},
            SITE_TOML)
        self.sent = 0

    def send(self, relay, count):
        send_numbered(relay.smtp_server, SENDER, RECIPIENT, self.sent, count, "health")
        self.sent += count
        return self.good.wait_for_messages(self.sent, timeout=30)

    def test_a_breaker_one_relay_opens_is_held_by_the_other(self):
        self.start_cluster()
        a, b = self.relays
        while not self.broken.connections() and self.sent < MAX_MESSAGES_TO_FIND_IT:
            self.send(a, 1)
        self.assertTrue(self.broken.connections(), "relay a never chose the broken address")
        held = b.wait_for_log(event="address_held_by_cluster")
        self.assertEqual(held["address"], self.broken_address, held["_line"])
        self.assertEqual(held["domain"], "health.example", held["_line"])
        self.assertIn("421", held["reason"])

        # Relay b sends 16 messages, a new connection each: none reaches the broken address.
        attempts_before = len(self.broken.connections())
        self.send(b, 16)
        self.assertEqual(len(self.broken.connections()), attempts_before)
        skipped = b.log_events(event="address_skipped")
        self.assertTrue(skipped, "relay b logged no skipped address")
        self.assertTrue(all(e["detail"].startswith(self.broken_address) for e in skipped))
        text, code = b.route("health.example", json_output=False)
        self.assertEqual(code, 0, text)
        section = text.split("skipped addresses", 1)[1]
        self.assertIn(self.broken_address, section)
        self.assertIn("breaker opened by relay", section)

    def test_route_and_summary_count_the_clusters_connections(self):
        # Relay a's connection stays open (idle, its lease held) for 30 s.
        self.start_cluster(idle_time="30s", messages_per_connection=10)
        a, b = self.relays
        while not self.good.messages():
            self.send(a, 1)

        def cluster_state():
            route, code = b.route("health.example")
            self.assertEqual(code, 0, route)
            state = route["shaping"]["state"]
            return state if (state["cluster"] or {}).get("connections") else None

        state = wait_until(cluster_state, 10, "relay b counts relay a's connection")
        self.assertEqual(state["open_connections"], 0)
        self.assertEqual(state["cluster"]["limits"], "cluster")
        self.assertGreaterEqual(state["cluster"]["connections"], 1)
        summary, code = b.queue("summary")
        self.assertEqual(code, 0, summary)
        peer = next(s for s in summary["cluster"] if s["site"] == "peer")
        self.assertEqual(peer["limits"], "cluster")
        self.assertGreaterEqual(peer["connections"], 1)
        text = b.queue("summary", json_output=False).stdout
        self.assertIn("peer: the cluster's limits", text)

        self.redis.stop()
        b.wait_for_log(event="cluster_unavailable")

        def fallback_state():
            route, _ = b.route("health.example")
            state = route["shaping"]["state"]
            return state if state["cluster"]["limits"] == "fallback" else None

        state = wait_until(fallback_state, 10, "relay b reports the fallback limits")
        self.assertIsNone(state["cluster"]["connections"])
        text, code = b.route("health.example", json_output=False)
        self.assertEqual(code, 0, text)
        self.assertIn("across the cluster: Redis unavailable", text)


if __name__ == "__main__":
    unittest.main()
