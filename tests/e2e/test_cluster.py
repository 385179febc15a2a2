"""e2e: two relays sharing their [[shaping]] site's limits through one redis-server
([cluster]): together they never open more connections to the site than its max_connections
(the peer refuses any beyond them), a suspension one relay gets holds the other's mail too,
and while Redis is stopped each keeps to its share of the limit and mail still flows, until
Redis is back and they share it again."""

import concurrent.futures
import unittest

from harness import (E2eTestCase, Nsd, Redis, SmtpSink, free_port, peer_site_toml, render_zone,
                     send_numbered)

SENDER = "sender@client.example"
DOMAINS = ("alpha.shaping.example", "beta.shaping.example")
SITE_CONNECTIONS = 2


class ClusterTest(E2eTestCase):
    def start_cluster(self, peer_options, suspend_for="30s"):
        ns = self.block.host(53)
        zone = render_zone("shaping.example", NS=ns, NET=self.block.prefix)
        self.nsd = self.start(Nsd(self.workdir, ns, {"shaping.example": zone}))
        addresses = [self.block.host(20), self.block.host(21)]
        port = free_port(addresses[0])
        self.peer = self.start(SmtpSink(self.workdir, "peer", addresses, port, **peer_options))
        self.redis = self.start(Redis(self.workdir, self.block.host(30)))
        self.relays = self.start_cluster_relays(
            self.redis,
            {"dns": {"stub": self.nsd.stubs()},
             "delivery": {"port": port, "max_connections_per_destination": 10,
                          "connection_idle_time": "1s"},
             "queue": {"retry_intervals": ["1s"]}},
            peer_site_toml(SITE_CONNECTIONS, 10, suspend_for))
        for relay in self.relays:
            relay.wait_for_sample("mxrelay_cluster_redis_up", 1)

    def send_through_both(self, count, subject):
        """count messages through each relay, to both domains, in parallel sessions."""
        sessions = [(relay, i) for relay in self.relays for i in range(4)]
        per_session = count // 4
        with concurrent.futures.ThreadPoolExecutor(len(sessions)) as pool:
            batches = [
                pool.submit(send_numbered, relay.smtp_server, SENDER,
                            f"user{i}@{DOMAINS[i % 2]}", (n * per_session), per_session,
                            f"{subject}-{n}")
                for n, (relay, i) in enumerate(sessions)
            ]
            for batch in batches:
                batch.result()

    def assert_delivered_within_the_site_limit(self, total):
        messages = self.peer.wait_for_messages(total, timeout=120)
        self.assertEqual(len(messages), total)
        self.assertLessEqual(max(c["open"] for c in self.peer.connections()), SITE_CONNECTIONS)
        self.assertEqual([t for t in self.peer.throttles() if t["limit"] == "connections"], [])

    def test_two_relays_never_open_more_than_the_sites_connections_together(self):
        self.start_cluster({"max_concurrent": SITE_CONNECTIONS})
        self.send_through_both(40, "shared")
        self.assert_delivered_within_the_site_limit(80)
        for relay in self.relays:
            self.assertEqual(relay.log_events(event="delivery", status="bounced"), [])

    def test_a_suspension_one_relay_gets_holds_the_other_relays_mail(self):
        # Two messages in any 60 s: relay a's third gets 451 4.7.650, and the site is suspended.
        self.start_cluster({"rate_limit": (2, 60)})
        a, b = self.relays
        send_numbered(a.smtp_server, SENDER, f"user@{DOMAINS[0]}", 0, 2, "first")
        self.peer.wait_for_messages(2)
        send_numbered(a.smtp_server, SENDER, f"user@{DOMAINS[0]}", 2, 1, "third")
        throttled = a.wait_for_log(event="site_throttled")
        self.assertEqual(throttled["action"], "suspend", throttled["_line"])
        imposed = b.wait_for_log(event="site_suspended_by_cluster")
        self.assertEqual(imposed["site"], "peer", imposed["_line"])
        self.assertIn("4.7.650", imposed["reply"])
        b.wait_for_sample("mxrelay_site_suspended", 1, site="peer")
        connections_before = len(self.peer.connections())
        send_numbered(b.smtp_server, SENDER, f"user@{DOMAINS[1]}", 3, 1, "other")
        b.wait_for_sample("mxrelay_site_deferrals_total", 1, site="peer", reason="suspended")
        self.assertEqual(len(self.peer.connections()), connections_before)
        self.assertEqual(len(self.peer.messages()), 2)

    def test_without_redis_each_relay_keeps_to_its_share_until_redis_is_back(self):
        self.start_cluster({"max_concurrent": SITE_CONNECTIONS})
        self.redis.stop()
        for relay in self.relays:
            down = relay.wait_for_log(event="cluster_unavailable")
            self.assertEqual(down["redis"], self.redis.endpoint, down["_line"])
            relay.wait_for_sample("mxrelay_cluster_redis_up", 0)
        # ceil(2 / 2) = 1 connection each: still no more than the site's 2 together.
        self.send_through_both(20, "alone")
        self.assert_delivered_within_the_site_limit(40)
        # The connections of the outage close after their idle second; then Redis returns
        # and the relays share the site's two connections again.
        self.peer.wait_for_disconnections(len(self.peer.connections()))
        self.redis.start()
        for relay in self.relays:
            relay.wait_for_sample("mxrelay_cluster_redis_up", 1, timeout=20)
            self.assertEqual(len(relay.log_events(event="cluster_available")), 2)
        self.send_through_both(20, "shared again")
        self.assert_delivered_within_the_site_limit(80)


if __name__ == "__main__":
    unittest.main()
