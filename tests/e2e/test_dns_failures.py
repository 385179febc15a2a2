"""e2e: RFC 5321 section 5.1 when DNS is unhelpful. Each test is one row of the next-hop
policy: SERVFAIL or silence for MX defers (4.4.3) and never touches the domain's A record,
null MX bounces (5.1.10), NXDOMAIN bounces (5.1.2), no MX means implicit MX, an MX host
without address defers (4.4.4), and a 421 greeting at the first MX moves to the second."""

import unittest

from harness import (
    E2eTestCase, FlakyDns, Mxrelay, Nsd, SmtpSink, free_port, render_zone, send_swaks, wait_until,
)

SENDER = "sender@client.example"
TRAP_REPLY = "530 5.7.57 Client not authenticated to send mail"


class DnsFailuresTest(E2eTestCase):
    def setUp(self):
        super().setUp()
        self.ns = self.block.host(53)
        self.port = free_port(self.block.host(250))
        self.trap = self.start(
            SmtpSink(self.workdir, "trap", self.block.host(250), self.port, {"mail": TRAP_REPLY})
        )

    def start_relay(self, dns_server):
        self.relay = self.start(
            Mxrelay(
                self.workdir,
                self.block,
                {"dns": {"stub": dns_server.stubs()}, "delivery": {"port": self.port}},
            )
        )

    def serve_policy_zone(self):
        zone = render_zone("policy.example", NS=self.ns, NET=self.block.prefix)
        self.start_relay(self.start(Nsd(self.workdir, self.ns, {"policy.example": zone})))

    def serve_flaky_zone(self, behaviour):
        zone = render_zone("flaky.example", NS=self.ns, NET=self.block.prefix)
        self.dns = self.start(FlakyDns(self.workdir, self.ns, "flaky.example", zone, behaviour))
        self.start_relay(self.dns)

    def send(self, recipient):
        send_swaks(self.relay.smtp_server, SENDER, recipient)

    def assert_attempts(self, recipient, count, status, dsn, timeout=20.0):
        """Waits for `count` delivery attempts for `recipient`; each must have this status
        and DSN code and no relay (a DNS verdict makes no connection)."""
        attempts = self.relay.wait_for_logs(
            count, timeout=timeout, event="delivery", to=f"<{recipient}>"
        )
        for attempt in attempts:
            self.assertEqual(
                (attempt["status"], attempt["dsn"], attempt["relay"]),
                (status, dsn, "none"),
                attempt["_line"],
            )
        return attempts

    def assert_route(self, domain, action, status=None):
        """`mxrelay route DOMAIN --json` gives this verdict (and enhanced status)."""
        explanation, _ = self.relay.route(domain)
        verdict = explanation["verdict"]
        self.assertEqual(verdict["action"], action, explanation)
        if status:
            self.assertEqual(verdict["status"], status, explanation)
        return explanation

    def assert_trap_untouched(self):
        self.assertEqual(self.trap.connections(), [])

    def assert_no_address_query_for(self, name):
        address_queries = [
            q for q in self.dns.queries()
            if q["name"].lower() == name and q["type"] in ("A", "AAAA")
        ]
        self.assertEqual(address_queries, [], "the domain's own address was looked up")

    def test_servfail_for_mx_defers_and_never_uses_the_a_record(self):
        self.serve_flaky_zone("servfail-mx")
        self.send("user@flaky.example")

        self.assert_attempts("user@flaky.example", 2, "deferred", "4.4.3")
        self.assertEqual(self.relay.log_events(event="removed"), [])
        self.assert_route("flaky.example", "defer", "4.4.3")
        self.assert_no_address_query_for("flaky.example.")
        self.assert_trap_untouched()

    def test_mx_timeout_defers_and_never_uses_the_a_record(self):
        self.serve_flaky_zone("silent")
        self.send("user@flaky.example")

        self.assert_attempts("user@flaky.example", 1, "deferred", "4.4.3", timeout=30.0)
        self.assertTrue(self.dns.queries(), "the relay never asked the silent server")
        self.assert_no_address_query_for("flaky.example.")
        self.assert_trap_untouched()

    def test_a_crash_during_a_lookup_loses_nothing(self):
        # libunbound runs inside the relay: if it (or anything) kills the process while a
        # lookup is in flight, the accepted message is still queued after the restart.
        self.serve_flaky_zone("silent")
        self.send("user@flaky.example")
        queue_id = self.relay.wait_for_log(event="accepted")["queue_id"]
        wait_until(self.dns.queries, 10.0, "the relay's MX query")
        self.relay.kill()
        self.relay.start()
        self.assertIsNotNone(self.relay.queue_entry(queue_id), "lost with the crash")
        self.relay.wait_for_log(event="recovered", messages="1")
        self.assert_attempts("user@flaky.example", 1, "deferred", "4.4.3", timeout=30.0)
        self.assert_trap_untouched()

    def test_null_mx_bounces_without_connecting(self):
        self.serve_policy_zone()
        self.send("user@nullmx.policy.example")

        self.assert_attempts("user@nullmx.policy.example", 1, "bounced", "5.1.10")
        self.assert_route("nullmx.policy.example", "bounce", "5.1.10")
        self.assert_trap_untouched()

    def test_nxdomain_bounces(self):
        self.serve_policy_zone()
        self.send("user@nosuch.policy.example")

        self.assert_attempts("user@nosuch.policy.example", 1, "bounced", "5.1.2")
        self.assert_route("nosuch.policy.example", "bounce", "5.1.2")

    def test_no_mx_delivers_to_the_domain_address(self):
        sink = self.start(SmtpSink(self.workdir, "implicit", self.block.host(30), self.port))
        self.serve_policy_zone()
        self.send("user@implicit.policy.example")

        (message,) = sink.wait_for_messages(1)
        self.assertEqual(message["rcpt_tos"], ["user@implicit.policy.example"])
        delivery = self.relay.wait_for_log(event="delivery", to="<user@implicit.policy.example>")
        self.assertEqual(delivery["status"], "sent", delivery["_line"])
        self.assertEqual(
            delivery["relay"], f"implicit.policy.example[{self.block.host(30)}]:{self.port}"
        )
        explanation = self.assert_route("implicit.policy.example", "deliver")
        self.assertTrue(explanation["implicit_mx"], explanation)

    def test_mx_host_without_address_defers(self):
        self.serve_policy_zone()
        self.send("user@dangling.policy.example")

        self.assert_attempts("user@dangling.policy.example", 2, "deferred", "4.4.4")
        self.assertEqual(self.relay.log_events(event="removed"), [])
        self.assert_route("dangling.policy.example", "defer", "4.4.4")
        self.assert_trap_untouched()

    def test_busy_first_mx_falls_back_to_the_second(self):
        busy = self.start(
            SmtpSink(
                self.workdir, "mx-busy", self.block.host(41), self.port,
                {"greeting": "421 4.3.2 Service not available, try later"},
            )
        )
        ok = self.start(SmtpSink(self.workdir, "mx-ok", self.block.host(42), self.port))
        self.serve_policy_zone()
        self.send("user@fallback.policy.example")

        (message,) = ok.wait_for_messages(1)
        self.assertEqual(message["rcpt_tos"], ["user@fallback.policy.example"])
        self.assertGreaterEqual(len(busy.connections()), 1, "the preferred MX was not tried")
        first_busy = busy.connections()[0]
        self.assertEqual(first_busy["local"], [self.block.host(41), self.port])
        sent = self.relay.wait_for_log(
            event="delivery", to="<user@fallback.policy.example>", status="sent"
        )
        self.assertEqual(sent["relay"], f"mx-ok.policy.example[{self.block.host(42)}]:{self.port}")
        explanation = self.assert_route("fallback.policy.example", "deliver")
        self.assertEqual(
            [c["host"].rstrip(".") for c in explanation["candidates"]],
            ["mx-busy.policy.example", "mx-ok.policy.example"],
        )


if __name__ == "__main__":
    unittest.main()
