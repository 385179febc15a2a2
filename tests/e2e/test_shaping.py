"""e2e: traffic shaping against a peer that limits like Microsoft: it answers MAIL with
451 4.7.650 once N messages arrived within a window and greets a connection beyond M open
ones with 421 4.7.0 Too many connections. Two recipient domains whose MX hosts share one
suffix are one [[shaping]] site: together they never open more than its max_connections,
its message rate keeps the peer's refusals under 5 % of attempts, and a throttling reply
suspends the site (no connection opens while it lasts), which `route`, `queue summary` and
the metrics show; the mail waits without using up its retries and is delivered after."""

import concurrent.futures
import time
import unittest

from harness import (E2eTestCase, Mxrelay, Nsd, SmtpSink, free_port, peer_site_toml, render_zone,
                     send_numbered)

SENDER = "sender@client.example"
DOMAINS = ("alpha.shaping.example", "beta.shaping.example")
MESSAGES = 500
CLIENT_SESSIONS = 10
SITE_CONNECTIONS = 3


def site_toml(rate_per_minute, suspend_for):
    return peer_site_toml(SITE_CONNECTIONS, 40, suspend_for, rate_per_minute, f"""[[shaping.on_reply]]
text = ["too many connections"]
action = "halve_connections"
duration = "{suspend_for}"
""")


class ShapingTest(E2eTestCase):
    def start_relay(self, peer_options, rate_per_minute, suspend_for):
        ns = self.block.host(53)
        zone = render_zone("shaping.example", NS=ns, NET=self.block.prefix)
        self.nsd = self.start(Nsd(self.workdir, ns, {"shaping.example": zone}))
        addresses = [self.block.host(20), self.block.host(21)]
        port = free_port(addresses[0])
        self.peer = self.start(SmtpSink(self.workdir, "peer", addresses, port, **peer_options))
        delivery = {"port": port, "max_connections_per_destination": 10,
                    "connection_idle_time": "2s"}
        self.relay = self.start(Mxrelay(
            self.workdir, self.block,
            {"dns": {"stub": self.nsd.stubs()}, "delivery": delivery,
             "queue": {"retry_intervals": ["1s"]}},
            extra_toml=site_toml(rate_per_minute, suspend_for)))

    def send(self, count):
        per_session = count // CLIENT_SESSIONS
        with concurrent.futures.ThreadPoolExecutor(CLIENT_SESSIONS) as pool:
            batches = [
                pool.submit(send_numbered, self.relay.smtp_server, SENDER,
                            f"user{i}@{DOMAINS[i % 2]}", i * per_session, per_session, "shaping")
                for i in range(CLIENT_SESSIONS)
            ]
            for batch in batches:
                batch.result()

    def deliver_all_and_count_throttles(self):
        """Sends MESSAGES to the two domains; returns (throttling replies, attempts) once
        every message arrived exactly once and none bounced."""
        self.send(MESSAGES)
        messages = self.peer.wait_for_messages(MESSAGES, timeout=150)
        subjects = {m["data"].split("Subject: ", 1)[1].split("\n", 1)[0].strip()
                    for m in messages}
        self.assertEqual(len(subjects), MESSAGES, "a message arrived twice or not at all")
        self.relay.wait_for_sample("mxrelay_messages_finished_total", MESSAGES,
                                   outcome="delivered")
        self.assertEqual(self.relay.log_events(event="delivery", status="bounced"), [])
        # Both domains together never held more than the site's connections.
        connections = self.peer.connections()
        self.assertLessEqual(max(c["open"] for c in connections), SITE_CONNECTIONS)
        throttles = self.peer.throttles()
        self.assertEqual([t for t in throttles if t["limit"] == "connections"], [])
        attempts = len(messages) + len(throttles)
        print(f"\n  {MESSAGES} messages, {len(connections)} connections, "
              f"{len(throttles)} throttling replies in {attempts} attempts")
        return len(throttles), attempts

    def test_a_site_faster_than_its_peer_slows_down_by_itself(self):
        # The peer takes 100 messages in any 5 s (20/s); the site's own limit is higher.
        self.start_relay({"rate_limit": (100, 5), "max_concurrent": SITE_CONNECTIONS},
                         rate_per_minute=1500, suspend_for="2s")
        throttles, attempts = self.deliver_all_and_count_throttles()
        self.assertGreater(throttles, 0, "the peer never throttled: the test proves nothing")
        self.assertLess(throttles, 0.05 * attempts)
        self.relay.wait_for_sample("mxrelay_site_throttle_replies_total", throttles,
                                   site="peer", reaction="suspend")

    def test_five_hundred_messages_to_one_site_within_its_limits(self):
        # The peer takes 300 messages in any 5 s and 3 connections; the site is held to 25
        # messages a second, whose bucket may send a tenth of a minute's worth at once: at
        # most 150 + 5 * 25 in any 5 s.
        self.start_relay({"rate_limit": (300, 5), "max_concurrent": SITE_CONNECTIONS},
                         rate_per_minute=1500, suspend_for="2s")
        throttles, attempts = self.deliver_all_and_count_throttles()
        self.assertLess(throttles, 0.05 * attempts)
        self.assertEqual(self.relay.metric("mxrelay_site_connections", site="other"), 0)

    def test_a_throttling_reply_suspends_the_site_and_shows_why(self):
        # Two messages in any 60 s: the third gets 451 4.7.650, and the site is suspended.
        self.start_relay({"rate_limit": (2, 60)}, rate_per_minute=0, suspend_for="30s")
        send_numbered(self.relay.smtp_server, SENDER, f"user@{DOMAINS[0]}", 0, 2, "first")
        self.peer.wait_for_messages(2)
        send_numbered(self.relay.smtp_server, SENDER, f"user@{DOMAINS[0]}", 2, 1, "third")
        throttled = self.relay.wait_for_log(event="site_throttled")
        self.assertEqual(throttled["site"], "peer", throttled["_line"])
        self.assertEqual(throttled["action"], "suspend", throttled["_line"])
        self.assertIn("4.7.650", throttled["reply"])
        self.relay.wait_for_sample("mxrelay_site_suspended", 1, site="peer")
        self.relay.wait_for_sample("mxrelay_site_throttle_replies_total", 1, site="peer",
                                   reaction="suspend")
        # The other domain of the site waits too, without a connection or an attempt.
        connections_before = len(self.peer.connections())
        send_numbered(self.relay.smtp_server, SENDER, f"user@{DOMAINS[1]}", 3, 1, "other")
        self.relay.wait_for_sample("mxrelay_site_deferrals_total", 1, site="peer",
                                   reason="suspended")
        self.assertEqual(len(self.peer.connections()), connections_before)
        self.assertEqual(len(self.peer.messages()), 2)

        explanation, code = self.relay.route(DOMAINS[1])
        self.assertEqual(code, 0, explanation)
        shaping = explanation["shaping"]
        self.assertEqual(shaping["site"], "peer", shaping)
        self.assertEqual(shaping["limits"]["max_connections"], SITE_CONNECTIONS)
        state = shaping["state"]
        self.assertGreater(state["suspended_until"], time.time() + 10, state)
        self.assertIn("4.7.650", state["last_reply"])
        self.assertEqual(state["last_action"], "suspend")
        text, _ = self.relay.route(DOMAINS[1], json_output=False)
        self.assertIn("shaping site: peer", text)
        self.assertIn("suspended until", text)

        summary, code = self.relay.queue("summary")
        self.assertEqual(code, 0, summary)
        rows = [(r["site"], r["messages"]) for r in summary["rows"]]
        self.assertEqual(sum(n for site, n in rows if site == "peer"), 2, summary)
        reasons = " ".join(r["reason"] for r in summary["rows"])
        self.assertIn("suspended", reasons)
        # Nothing used up a retry: the suspension is not a failed attempt.
        for entry in self.relay.queue_entries():
            self.assertLessEqual(entry.get("attempts", 0), 1, entry)


if __name__ == "__main__":
    unittest.main()
