"""e2e: `mxrelay doctor` (issue 20 point 6) against NSD zones on loopback: a source address
whose PTR, forward lookup and HELO name agree and a sender domain whose SPF, DKIM and DMARC
records pass; then one failure each (PTR missing, PTR not resolving back, SPF -all without
the address, an unpublished DKIM key, DMARC missing), and a DNSSEC validator whose root
servers are dead."""

import json
import re
import subprocess
import unittest

from harness import E2eTestCase, Mxrelay, Nsd, mxrelay_bin

GOOD = "good.example"
BAD = "bad.example"
INCLUDING = "including.example"  # SPF through include: and a: at another domain
HELO = f"mail.{GOOD}"


def zone(origin, records):
    return (f"$ORIGIN {origin}.\n$TTL 300\n"
            f"@ IN SOA ns.{origin}. hostmaster.{origin}. 1 3600 600 86400 300\n"
            f"@ IN NS ns.{origin}.\nns IN A 127.0.0.1\n" + "\n".join(records) + "\n")


def keygen(directory, domain, selector):
    out = directory / f"{domain}.{selector}.pem"
    done = subprocess.run(
        [mxrelay_bin(), "dkim", "keygen", domain, selector, "--ed25519", "--out", out],
        capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise AssertionError(f"dkim keygen failed: {done.stderr}")
    record = re.search(r"^\s*(\S+\._domainkey\.\S+ IN TXT \(.*\))$", done.stdout, re.M)
    return out, record.group(1)


class DoctorTest(E2eTestCase):
    def setUp(self):
        super().setUp()
        prefix = self.block.prefix  # 127.A.B
        self.good_source = self.block.host(9)  # PTR mail.good.example, which resolves back
        self.liar_source = self.block.host(10)  # PTR liar.good.example, which does not
        self.unnamed_source = self.block.host(11)  # no PTR
        keys = self.workdir / "keys"
        keys.mkdir()
        self.good_key, good_record = keygen(keys, GOOD, "s1")
        self.bad_key, _ = keygen(keys, BAD, "s1")  # never published
        octets = prefix.split(".")
        self.reverse_zone = f"{octets[2]}.{octets[1]}.127.in-addr.arpa"
        self.nsd = self.start(Nsd(self.workdir, self.block.host(53), {
            GOOD: zone(GOOD, [
                f"mail IN A {self.good_source}",
                f"liar IN A {self.block.host(99)}",
                f'@ IN TXT "v=spf1 ip4:{self.good_source} ip4:{self.liar_source} '
                f'ip4:{self.unnamed_source} -all"',
                good_record,
                '_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@good.example"',
                f'_spf IN TXT "v=spf1 a:mail.{GOOD} -all"',
            ]),
            INCLUDING: zone(INCLUDING, [f'@ IN TXT "v=spf1 ip4:127.0.0.1 include:_spf.{GOOD} -all"',
                                        '_dmarc IN TXT "v=DMARC1; p=none"']),
            BAD: zone(BAD, ['@ IN TXT "v=spf1 ip4:127.0.0.1 -all"']),
            self.reverse_zone: zone(self.reverse_zone, [
                f"9 IN PTR {HELO}.",
                f"10 IN PTR liar.{GOOD}.",
            ]),
        }))

    def doctor(self, source, *args, dns=None, json_output=False):
        """`mxrelay doctor` on a config sending from `source` with HELO mail.good.example."""
        relay = Mxrelay(self.workdir, self.block, {
            "dns": dns or {"stub": self.nsd.stubs()},
            "delivery": {"source_ipv4": source, "helo_name": HELO, "ip_version": "ipv4"},
            "dkim": [{"domain": GOOD, "selector": "s1", "key_file": str(self.good_key)},
                     {"domain": BAD, "selector": "s1", "key_file": str(self.bad_key)}],
        })
        argv = [mxrelay_bin(), "doctor", "-c", relay.config_path, *args]
        if json_output:
            argv.append("--json")
        done = subprocess.run(list(map(str, argv)), capture_output=True, text=True, timeout=120)
        self.assertEqual(done.stderr, "")
        return done

    def lines(self, done):
        return {line.split(":")[0]: line for line in done.stdout.splitlines()}

    def test_everything_passes_for_a_good_source_and_domain(self):
        done = self.doctor(self.good_source, "--domain", GOOD)
        lines = self.lines(done)
        self.assertEqual(done.returncode, 0, done.stdout)
        for key in (f"PASS  ptr {self.good_source}", f"PASS  fcrdns {self.good_source}",
                    f"PASS  helo {self.good_source}", f"PASS  spf {GOOD}", f"PASS  dkim {GOOD}",
                    f"PASS  dmarc {GOOD}"):
            self.assertIn(key, lines, done.stdout)
        self.assertIn("WARN  dnssec .", lines, done.stdout)  # the test config has dnssec off
        self.assertIn(f"PASS  spf {GOOD}: {self.good_source} is authorised: matched ip4:",
                      done.stdout)
        self.assertIn("p=reject", lines[f"PASS  dmarc {GOOD}"])
        self.assertTrue(done.stdout.endswith("result: pass\n"), done.stdout)

    def test_json_output(self):
        done = self.doctor(self.good_source, "--domain", GOOD, "--domain", BAD, json_output=True)
        self.assertEqual(done.returncode, 1, done.stdout)
        report = json.loads(done.stdout)
        self.assertEqual(report["result"], "fail")
        by_key = {(c["check"], c["subject"]): c for c in report["checks"]}
        self.assertEqual(by_key[("ptr", self.good_source)]["status"], "pass")
        self.assertEqual(by_key[("spf", GOOD)]["status"], "pass")
        self.assertEqual(by_key[("spf", BAD)]["status"], "fail")
        self.assertEqual(set(report["checks"][0]), {"check", "subject", "status", "detail"})

    def test_spf_through_include_and_a_dmarc_note(self):
        done = self.doctor(self.good_source, "--domain", INCLUDING)
        self.assertEqual(done.returncode, 0, done.stdout)
        self.assertIn(f"PASS  spf {INCLUDING}: {self.good_source} is authorised: matched "
                      f"include:_spf.{GOOD}", done.stdout)
        self.assertIn(f"PASS  dmarc {INCLUDING}: p=none", done.stdout)
        self.assertIn("note: p=none only monitors", done.stdout)
        self.assertNotIn(f"dkim {INCLUDING}", done.stdout)  # no [[dkim]] key for it

    def test_a_bad_domain_fails_spf_and_dkim_and_warns_on_dmarc(self):
        done = self.doctor(self.good_source, "--domain", BAD)
        self.assertEqual(done.returncode, 1, done.stdout)
        self.assertIn(
            f'FAIL  spf {BAD}: {self.good_source} is not authorised (matched -all) '
            f'(result fail, record "v=spf1 ip4:127.0.0.1 -all")', done.stdout)
        self.assertIn(f"FAIL  dkim {BAD}: s1._domainkey.{BAD}:", done.stdout)
        self.assertIn(f"WARN  dmarc {BAD}: no DMARC record at _dmarc.{BAD}", done.stdout)
        self.assertTrue(done.stdout.endswith("result: fail\n"), done.stdout)

    def test_without_domains_the_dkim_domains_are_checked(self):
        done = self.doctor(self.good_source)
        self.assertIn(f"PASS  dkim {GOOD}", done.stdout)
        self.assertIn(f"FAIL  dkim {BAD}", done.stdout)
        self.assertEqual(done.returncode, 1, done.stdout)

    def test_a_ptr_that_does_not_resolve_back_fails_fcrdns_and_helo(self):
        done = self.doctor(self.liar_source, "--domain", GOOD)
        self.assertEqual(done.returncode, 1, done.stdout)
        self.assertIn(f"PASS  ptr {self.liar_source}: ", done.stdout)
        self.assertIn(f"FAIL  fcrdns {self.liar_source}: no PTR name (liar.{GOOD}) resolves back",
                      done.stdout)
        self.assertIn(f"FAIL  helo {self.liar_source}: HELO name {HELO} does not resolve to "
                      f"{self.liar_source} ({self.good_source})", done.stdout)
        self.assertIn(f"PASS  spf {GOOD}", done.stdout)

    def test_a_missing_ptr_fails(self):
        done = self.doctor(self.unnamed_source, "--domain", GOOD)
        self.assertEqual(done.returncode, 1, done.stdout)
        self.assertIn(f"FAIL  ptr {self.unnamed_source}: no PTR record at "
                      f"{self.unnamed_source.split('.')[3]}.{self.reverse_zone} (NXDOMAIN)",
                      done.stdout.replace("nxdomain", "NXDOMAIN"))

    def test_a_validator_that_cannot_reach_the_root_says_what_to_set(self):
        hints = self.workdir / "root.hints"
        hints.write_text(".  3600000 NS a.root.\na.root. 3600000 A 127.0.0.254\n")
        done = self.doctor(self.good_source, dns={
            "dnssec": True, "forwarders": [], "query_timeout": "2s",
            "unbound_options": {"root-hints": str(hints)},
        })
        self.assertEqual(done.returncode, 1, done.stdout)
        self.assertIn("FAIL  dnssec .: the validator cannot reach the root: set dns.forwarders "
                      "or dns.dnssec = false", done.stdout)

    def test_usage_and_config_errors_exit_2(self):
        done = subprocess.run([mxrelay_bin(), "doctor", "--bogus"], capture_output=True,
                              text=True, timeout=30)
        self.assertEqual(done.returncode, 2)
        self.assertIn("usage: mxrelay doctor", done.stderr)
        missing = subprocess.run([mxrelay_bin(), "doctor", "-c", self.workdir / "none.toml"],
                                 capture_output=True, text=True, timeout=30)
        self.assertEqual(missing.returncode, 2)
        helped = subprocess.run([mxrelay_bin(), "--help"], capture_output=True, text=True,
                                timeout=30)
        self.assertIn("mxrelay doctor [-c FILE] [--domain DOMAIN]... [--json]", helped.stdout)


if __name__ == "__main__":
    unittest.main()
