"""e2e: the TOML transport map. An entry overrides the domain's DNS MX (host by address
literal or by a name NSD serves); a reload by SIGHUP or `mxrelay reload` moves the next
message while an invalid edit is rejected with FILE:LINE:COLUMN and the old map keeps
working; action = "hold" keeps a message queued until released, action = "reject" refuses
the recipient at RCPT time; address literals are refused unless allowed, and then routed by
the map like any domain; and the outlook.com override sends mail to the protection
host's addresses, never to the domain's MX."""

import re
import smtplib
import unittest
from email.message import EmailMessage

from harness import (
    E2eTestCase, Mxrelay, Nsd, SmtpSink, free_port, render_zone, send_swaks, transport_table,
)

SENDER = "sender@client.example"
MOVED = "user@moved.transport.example"
HELD = "user@held.transport.example"
REFUSED = "user@refused.transport.example"
OPEN = "user@open.transport.example"
REJECT_REASON = "Mail for refused.transport.example is not accepted here"
HOLD_REASON = "maintenance window"
OLC_HOST = "outlook-com.olc.protection.outlook.com"
TRAP_REPLY = "530 5.7.57 Client not authenticated to send mail"


def entry_line(config_text, domain):
    """1-based number of the config line that defines transport key `domain`."""
    for number, line in enumerate(config_text.splitlines(), start=1):
        if line.startswith(f'"{domain}" ='):
            return number
    raise AssertionError(f"no transport entry for {domain} in:\n{config_text}")


class TransportMapTest(E2eTestCase):
    """Sinks A, B, C and D (127.x.y.11 to .14) all on one port; DNS MX of every
    *.transport.example name is A, the map sends mail elsewhere."""

    def setUp(self):
        super().setUp()
        ns = self.block.host(53)
        zone = render_zone("transport.example", NS=ns, NET=self.block.prefix)
        self.nsd = self.start(Nsd(self.workdir, ns, {"transport.example": zone}))
        self.port = free_port(self.block.host(11))
        self.sinks = {
            name: self.start(SmtpSink(self.workdir, name, self.block.host(n), self.port))
            for name, n in (("A", 11), ("B", 12), ("C", 13), ("D", 14))
        }

    def start_relay(self, transport):
        self.relay = self.start(
            Mxrelay(
                self.workdir,
                self.block,
                {"dns": {"stub": self.nsd.stubs()}, "delivery": {"port": self.port}},
                extra_toml=transport_table(transport),
            )
        )

    def literal(self, sink):
        """host = "[address]:port" of a sink."""
        return f"[{self.sinks[sink].addresses[0]}]:{self.port}"

    def edit_map(self, transport):
        self.relay.write_config(transport_table(transport))

    def wait_for_reloads(self, count, result="ok"):
        return self.relay.wait_for_logs(count, event="reload", result=result)

    def send(self, recipient, subject):
        send_swaks(
            self.relay.smtp_server, SENDER, recipient, extra_args=["--header", f"Subject: {subject}"]
        )

    def subjects(self, sink):
        return [
            re.search(r"^Subject: (.*?)\r?$", m["data"], re.M).group(1)
            for m in self.sinks[sink].messages()
        ]

    def test_host_entry_overrides_the_mx_and_reload_moves_the_next_message(self):
        self.start_relay({"moved.transport.example": {"host": self.literal("B")}})
        explanation, code = self.relay.route("moved.transport.example")
        self.assertEqual(code, 0, explanation)
        self.assertEqual(explanation["transport"], 'exact "moved.transport.example"', explanation)
        line = entry_line(self.relay.config_path.read_text(), "moved.transport.example")
        self.assertEqual(explanation["transport_entry"], f"{self.relay.config_path}:{line}:1")
        self.assertEqual(
            [(c["address"], c["port"]) for c in explanation["candidates"]],
            [(self.block.host(12), self.port)],
        )

        self.send(MOVED, "first")
        self.sinks["B"].wait_for_messages(1)
        first = self.relay.wait_for_log(event="delivery", to=f"<{MOVED}>", status="sent")
        self.assertIn(f"[{self.block.host(12)}]:{self.port}", first["relay"])

        # The map now names a host that NSD serves; SIGHUP makes it current.
        self.edit_map({"moved.transport.example": {"host": "gw-c.transport.example"}})
        self.relay.sighup()
        self.wait_for_reloads(1)
        self.send(MOVED, "second")
        self.sinks["C"].wait_for_messages(1)
        second = self.relay.wait_for_logs(2, event="delivery", to=f"<{MOVED}>", status="sent")[1]
        self.assertEqual(
            second["relay"], f"gw-c.transport.example[{self.block.host(13)}]:{self.port}"
        )

        # And once more through the control socket, with an explicit port.
        self.edit_map({"moved.transport.example": {"host": "gw-d.transport.example", "port": self.port}})
        done = self.relay.run_command("reload", "-c", self.relay.config_path)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.wait_for_reloads(2)
        self.send(MOVED, "third")
        self.sinks["D"].wait_for_messages(1)
        self.relay.wait_for_logs(3, event="removed")

        self.assertEqual(self.subjects("B"), ["first"])
        self.assertEqual(self.subjects("C"), ["second"])
        self.assertEqual(self.subjects("D"), ["third"])
        self.assertEqual(self.sinks["A"].connections(), [], "the DNS MX was used")
        self.assertEqual(len(self.relay.log_events(event="delivery")), 3)
        self.assertEqual(self.relay.metric("mxrelay_config_reloads_total", result="ok"), 2)
        self.assertEqual(self.relay.metric("mxrelay_config_last_reload_successful"), 1)

    def test_invalid_edit_is_rejected_and_the_old_map_stays(self):
        self.start_relay({"moved.transport.example": {"host": self.literal("B")}})
        self.edit_map({"moved.transport.example": {"host": self.literal("C"), "colour": "blue"}})
        line = entry_line(self.relay.config_path.read_text(), "moved.transport.example")

        self.relay.sighup()
        self.wait_for_reloads(1, result="rejected")
        error = self.relay.wait_for_log(event="reload_error")["error"]
        where = re.match(rf"{re.escape(str(self.relay.config_path))}:(\d+):(\d+): ", error)
        self.assertIsNotNone(where, f"no FILE:LINE:COLUMN in {error!r}")
        self.assertEqual(int(where.group(1)), line, error)
        self.assertGreater(int(where.group(2)), 1, error)
        self.assertIn("colour", error)
        self.relay.wait_for_metric("mxrelay_config_last_reload_successful", 0)
        self.assertEqual(self.relay.metric("mxrelay_config_reloads_total", result="rejected"), 1)
        self.assertEqual(self.relay.log_events(event="reload", result="ok"), [])

        # `mxrelay reload` reports the same error to the operator and fails (it validates
        # the file itself, so the running relay keeps its old map either way).
        done = self.relay.run_command("reload", "-c", self.relay.config_path)
        self.assertNotEqual(done.returncode, 0, done.stdout)
        self.assertIn(f"{self.relay.config_path}:{line}:", done.stdout + done.stderr)
        self.assertEqual(self.relay.log_events(event="reload", result="ok"), [])

        self.send(MOVED, "after the bad edit")
        (message,) = self.sinks["B"].wait_for_messages(1)
        self.assertEqual(message["rcpt_tos"], [MOVED])
        self.relay.wait_for_log(event="removed")
        self.assertEqual(self.sinks["C"].connections(), [], "the rejected map was used")
        self.assertEqual(self.sinks["A"].connections(), [], "the DNS MX was used")

    def test_hold_keeps_the_message_queued_until_released(self):
        self.start_relay(
            {"held.transport.example": {"action": "hold", "reason": HOLD_REASON, "host": self.literal("B")}}
        )
        explanation, _ = self.relay.route("held.transport.example")
        self.assertEqual(explanation["transport"], 'exact "held.transport.example"', explanation)

        self.send(HELD, "held")
        accepted = self.relay.wait_for_log(event="accepted")
        queue_id = accepted["queue_id"]
        hold = self.relay.wait_for_log(event="hold", queue_id=queue_id)
        self.assertEqual((hold["domain"], hold["reason"]), ("held.transport.example", HOLD_REASON))
        entry = self.relay.queue_entry(queue_id)
        self.assertIsNotNone(entry, "the held message is not listed")
        self.assertTrue(entry["held"], entry)
        self.assertEqual(entry["recipients"], [{"address": HELD, "state": "pending"}])
        self.assertIn(HOLD_REASON, entry["last_error"])

        # Removing the action (reload) does not release the message by itself.
        self.edit_map({"held.transport.example": {"host": self.literal("B")}})
        self.relay.sighup()
        self.wait_for_reloads(1)
        self.assertTrue(self.relay.queue_entry(queue_id)["held"])
        self.assertEqual(self.relay.log_events(event="delivery"), [])
        self.assertEqual(self.sinks["B"].connections(), [], "a held message was delivered")

        done = self.relay.queue("release", queue_id, json_output=False)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        (message,) = self.sinks["B"].wait_for_messages(1)
        self.assertEqual(message["rcpt_tos"], [HELD])
        self.relay.wait_for_log(event="removed", queue_id=queue_id)
        self.assertIsNone(self.relay.queue_entry(queue_id))
        self.assertEqual(self.sinks["A"].connections(), [], "the held message went to the DNS MX")

    def test_address_literals_are_refused_unless_allowed_then_the_map_routes_them(self):
        literal = f"user@[{self.block.host(11)}]"  # sink A's address
        self.start_relay({"*": {"host": self.literal("B")}})
        with smtplib.SMTP(*self.relay.smtp_server, timeout=10) as smtp:
            smtp.ehlo("client.example")
            smtp.mail(SENDER)
            code, text = smtp.rcpt(literal)
        self.assertEqual(code, 550, text)
        self.assertIn(b"5.7.1 mail to address literals is not accepted here", text)
        self.assertEqual(self.relay.log_events(event="accepted"), [])

        # Allowed: the "*" entry (the site's gateway B) applies; A is never contacted.
        self.relay.config["delivery"]["address_literals"] = "deliver"
        self.edit_map({"*": {"host": self.literal("B")}})
        self.relay.sighup()
        self.wait_for_reloads(1)
        self.send(literal, "literal")
        self.sinks["B"].wait_for_messages(1)
        delivery = self.relay.wait_for_log(event="delivery", status="sent")
        self.assertIn(f"[{self.block.host(12)}]", delivery["relay"])
        self.assertEqual(self.sinks["A"].messages(), [])

    def test_reject_refuses_the_recipient_at_rcpt_and_keeps_the_others(self):
        self.start_relay({"refused.transport.example": {"action": "reject", "reason": REJECT_REASON}})

        message = EmailMessage()
        message["From"] = SENDER
        message["To"] = f"{REFUSED}, {OPEN}"
        message["Subject"] = "mixed"
        message.set_content("One refused, one accepted.\n")
        with smtplib.SMTP(*self.relay.smtp_server, timeout=15) as smtp:
            refused = smtp.send_message(message, SENDER, [REFUSED, OPEN])
        self.assertEqual(list(refused), [REFUSED])
        code, text = refused[REFUSED]
        self.assertEqual(code, 550)
        self.assertEqual(text.decode(), f"5.7.1 {REJECT_REASON}")

        (delivered,) = self.sinks["A"].wait_for_messages(1)
        self.assertEqual(delivered["rcpt_tos"], [OPEN])
        self.assertEqual(self.relay.wait_for_log(event="accepted")["nrcpt"], "1")
        self.relay.wait_for_log(event="removed")
        self.assertEqual(self.relay.log_events(event="delivery", to=f"<{REFUSED}>"), [])

        alone = send_swaks(self.relay.smtp_server, SENDER, REFUSED, expect_success=False)
        self.assertNotEqual(alone.returncode, 0, alone.transcript)
        self.assertRegex(alone.transcript, rf"<\*\* +550 5\.7\.1 {re.escape(REJECT_REASON)}")
        self.assertEqual(len(self.relay.log_events(event="accepted")), 1)


class OutlookOverrideTest(E2eTestCase):
    """outlook.com's MX and apex A lead to a trap; the map sends it to the protection host."""

    def test_outlook_com_goes_to_the_protection_host(self):
        ns = self.block.host(53)
        zone = render_zone("outlook-override", NS=ns, NET=self.block.prefix)
        nsd = self.start(Nsd(self.workdir, ns, {"outlook.com": zone}))
        olc_addresses = self.block.hosts(100, 103)
        port = free_port(olc_addresses[0])
        olc = self.start(SmtpSink(self.workdir, "olc", olc_addresses, port))
        trap = self.start(
            SmtpSink(self.workdir, "trap", self.block.hosts(250, 251), port, {"mail": TRAP_REPLY})
        )
        relay = self.start(
            Mxrelay(
                self.workdir,
                self.block,
                {"dns": {"stub": nsd.stubs()}, "delivery": {"port": port}},
                extra_toml=transport_table({"outlook.com": {"host": OLC_HOST}}),
            )
        )

        explanation, code = relay.route("outlook.com")
        self.assertEqual(code, 0, explanation)
        self.assertEqual(explanation["verdict"]["action"], "deliver", explanation)
        self.assertEqual(explanation["transport"], 'exact "outlook.com"', explanation)
        line = entry_line(relay.config_path.read_text(), "outlook.com")
        self.assertEqual(explanation["transport_entry"], f"{relay.config_path}:{line}:1")
        self.assertEqual(explanation["lookup_name"].rstrip(".").lower(), OLC_HOST)
        candidates = explanation["candidates"]
        self.assertTrue(candidates, explanation)
        for candidate in candidates:
            self.assertEqual(candidate["host"].rstrip(".").lower(), OLC_HOST, explanation)
            self.assertIn(candidate["address"], olc_addresses, explanation)
            self.assertEqual(candidate["port"], port, explanation)
        mx_queries = [q for q in explanation["queries"] if q["type"] == "MX"]
        self.assertEqual(mx_queries, [], "a host entry must not look up MX records")

        send_swaks(relay.smtp_server, SENDER, "user@outlook.com")
        (message,) = olc.wait_for_messages(1)
        self.assertIn(message["local"][0], olc_addresses)
        delivery = relay.wait_for_log(event="delivery", to="<user@outlook.com>")
        self.assertEqual(delivery["status"], "sent", delivery["_line"])
        self.assertEqual(delivery["relay"], f"{OLC_HOST}[{message['local'][0]}]:{port}")
        self.assertEqual(trap.connections(), [], "mail reached the outlook.com MX trap")


if __name__ == "__main__":
    unittest.main()
