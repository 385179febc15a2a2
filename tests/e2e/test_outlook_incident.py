"""e2e: the outlook.com incident of September 2023. The MX host has 60 A records, more than
fit in NSD's 512-byte UDP answer (so the resolver must retry over TCP); the apex A records
lead to a trap answering 530 5.7.57. Mail must go through one of the 60, never the trap."""

import unittest

from harness import (
    E2eTestCase, Mxrelay, Nsd, SmtpSink, dns_query, free_port, render_zone, send_swaks,
)

MX_HOST = "outlook-com.olc.protection.outlook.com"
RECIPIENT = "user@outlook.com"
TRAP_REPLY = "530 5.7.57 Client not authenticated to send mail"


def dns_name(name):
    return name.rstrip(".").lower()


class OutlookIncidentTest(E2eTestCase):
    def setUp(self):
        super().setUp()
        ns = self.block.host(53)
        zone = render_zone("outlook.com", NS=ns, NET=self.block.prefix)
        self.nsd = self.start(Nsd(self.workdir, ns, {"outlook.com": zone}, edns_size=512))
        self.mx_addresses = self.block.hosts(100, 159)
        self.trap_addresses = self.block.hosts(250, 251)
        self.port = free_port(self.mx_addresses[0])
        self.sink = self.start(SmtpSink(self.workdir, "olc", self.mx_addresses, self.port))
        self.trap = self.start(
            SmtpSink(self.workdir, "trap", self.trap_addresses, self.port, {"mail": TRAP_REPLY})
        )
        self.relay = self.start(
            Mxrelay(
                self.workdir,
                self.block,
                {"dns": {"stub": self.nsd.stubs()}, "delivery": {"port": self.port}},
            )
        )

    def test_fixture_truncates_the_udp_answer(self):
        udp = dns_query(self.nsd.address, self.nsd.port, MX_HOST, "A", bufsize=1232)
        self.assertEqual(udp.header.tc, 1, "NSD must truncate the 60-record answer over UDP")
        tcp = dns_query(self.nsd.address, self.nsd.port, MX_HOST, "A", tcp=True)
        self.assertEqual(sorted(str(rr.rdata) for rr in tcp.rr), sorted(self.mx_addresses))

    def test_mail_goes_through_the_mx_never_the_apex(self):
        send_swaks(self.relay.smtp_server, "sender@client.example", RECIPIENT)

        (message,) = self.sink.wait_for_messages(1)
        self.assertIn(message["local"][0], self.mx_addresses)
        self.assertEqual(message["rcpt_tos"], [RECIPIENT])
        delivery = self.relay.wait_for_log(event="delivery", to=f"<{RECIPIENT}>")
        self.assertEqual(delivery["status"], "sent", delivery["_line"])
        self.assertEqual(delivery["relay"], f"{MX_HOST}[{message['local'][0]}]:{self.port}")
        self.assertEqual(self.trap.connections(), [])

    def test_route_explains_outlook_com(self):
        explanation, code = self.relay.route("outlook.com")
        self.assertEqual(code, 0, explanation)
        self.assertEqual(explanation["verdict"]["action"], "deliver", explanation)
        queries = {(dns_name(q["name"]), q["type"]): q for q in explanation["queries"]}
        self.assertNotIn(("outlook.com", "A"), queries, "the apex A record was looked up")

        mx = queries[("outlook.com", "MX")]
        self.assertEqual(
            [(r["preference"], dns_name(r["exchange"])) for r in mx["mx"]], [(5, MX_HOST)]
        )
        host = queries[(MX_HOST, "A")]
        self.assertEqual(host["records"], 60, "the 60-address RRset was not fully available")
        self.assertEqual(sorted(host["addresses"]), sorted(self.mx_addresses))
        self.assertGreater(host["answer_bytes"], 512, "the answer cannot have fit in UDP")

        candidates = explanation["candidates"]
        self.assertTrue(candidates, explanation)
        for candidate in candidates:
            self.assertEqual(dns_name(candidate["host"]), MX_HOST)
            self.assertIn(candidate["address"], self.mx_addresses)
            self.assertEqual(candidate["port"], self.port)
        self.assertEqual(self.trap.connections(), [])

if __name__ == "__main__":
    unittest.main()
