"""e2e: a relay with two source addresses (delivery.source_addresses) sending to one shaping
site: the site's max_connections holds per source address, as a provider counts per sending
IP (at most 2 connections from each at the peer, so up to 4 in all), and a throttling reply
the peer gives one source address only suspends that address's share of the site: mail keeps
flowing through the other, all of it delivered, none bounced, and `route` and the metrics show
the state of each source address."""

import concurrent.futures
import unittest

from harness import (E2eTestCase, Mxrelay, Nsd, SmtpSink, free_port, peer_site_toml,
                     read_json_lines, render_zone, send_numbered)

SENDER = "sender@client.example"
DOMAIN = "alpha.shaping.example"
SITE_CONNECTIONS = 2
CLIENT_SESSIONS = 8

SITE_TOML = peer_site_toml(SITE_CONNECTIONS, 5, "5m")


def peak_per_peer(events):
    """The most connections open at once from each client address, from connect and
    disconnect events in their order."""
    open_now, peak = {}, {}
    for event in events:
        if event["event"] not in ("connect", "disconnect"):
            continue
        address = event["peer"][0]
        if event["event"] == "connect":
            open_now[address] = open_now.get(address, 0) + 1
            peak[address] = max(peak.get(address, 0), open_now[address])
        elif event["event"] == "disconnect":
            open_now[address] = open_now.get(address, 0) - 1
    return peak


class SourceAddressesTest(E2eTestCase):
    def start_relay(self, **peer_options):
        ns = self.block.host(53)
        zone = render_zone("shaping.example", NS=ns, NET=self.block.prefix)
        self.nsd = self.start(Nsd(self.workdir, ns, {"shaping.example": zone}))
        addresses = [self.block.host(20), self.block.host(21)]
        port = free_port(addresses[0])
        self.sources = [self.block.host(35), self.block.host(36)]
        self.peer = self.start(SmtpSink(self.workdir, "peer", addresses, port, **peer_options))
        delivery = {"port": port, "max_connections_per_destination": 10,
                    "connection_idle_time": "1s", "source_addresses": self.sources}
        self.relay = self.start(Mxrelay(
            self.workdir, self.block,
            {"dns": {"stub": self.nsd.stubs()}, "delivery": delivery,
             "queue": {"retry_intervals": ["1s"]}},
            extra_toml=SITE_TOML))

    def send(self, count, tag):
        per_session = count // CLIENT_SESSIONS
        with concurrent.futures.ThreadPoolExecutor(CLIENT_SESSIONS) as pool:
            batches = [pool.submit(send_numbered, self.relay.smtp_server, SENDER,
                                   f"user{i}@{DOMAIN}", i * per_session, per_session, tag)
                       for i in range(CLIENT_SESSIONS)]
            for batch in batches:
                batch.result()

    def test_the_site_limit_holds_per_source_address(self):
        self.start_relay()
        self.send(80, "spread")
        self.peer.wait_for_messages(80, timeout=40)
        self.relay.wait_for_sample("mxrelay_messages_finished_total", 80, outcome="delivered")
        self.assertEqual(self.relay.log_events(event="delivery", status="bounced"), [])
        peak = peak_per_peer(read_json_lines(self.peer.record_path))
        print(f"\n  peak connections per source address: {peak}")
        self.assertEqual(set(peak), set(self.sources), "both source addresses were used")
        for source in self.sources:
            self.assertLessEqual(peak[source], SITE_CONNECTIONS, source)
        self.assertLessEqual(max(c["open"] for c in self.peer.connections()),
                             SITE_CONNECTIONS * len(self.sources))
        senders = {m["peer"][0] for m in self.peer.messages()}
        self.assertEqual(senders, set(self.sources))

    def test_a_throttled_source_address_is_suspended_alone(self):
        throttled, other = self.block.host(35), self.block.host(36)
        self.start_relay(throttle_peers=[throttled])
        self.send(24, "throttle")
        messages = self.peer.wait_for_messages(24, timeout=40)
        self.relay.wait_for_sample("mxrelay_messages_finished_total", 24, outcome="delivered")
        self.assertEqual(self.relay.log_events(event="delivery", status="bounced"), [])
        self.assertEqual({m["peer"][0] for m in messages}, {other})
        replies = self.relay.log_events(event="site_throttled")
        self.assertGreater(len(replies), 0, "the peer never throttled: the test proves nothing")
        self.assertEqual({r["source"] for r in replies}, {throttled})
        self.relay.wait_for_sample("mxrelay_site_source_suspended", 1, site="peer",
                                   source_address=throttled)
        self.assertEqual(self.relay.metric("mxrelay_site_source_suspended", site="peer",
                                           source_address=other), 0)
        self.assertEqual(self.relay.metric("mxrelay_site_suspended", site="peer"), 0)

        explanation, code = self.relay.route(DOMAIN)
        self.assertEqual(code, 0, explanation)
        shares = {s["source"]: s for s in explanation["shaping"]["state"]["sources"]}
        self.assertGreater(shares[throttled]["suspended_until"] or 0, 0, shares)
        self.assertIsNone(shares[other]["suspended_until"], shares)
        self.assertIn("4.7.650", shares[throttled]["last_reply"])
        text, _ = self.relay.route(DOMAIN, json_output=False)
        self.assertIn(f"from {throttled}: ", text)
        self.assertIn("suspended until", text)


if __name__ == "__main__":
    unittest.main()
