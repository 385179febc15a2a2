"""e2e: DKIM signing (issue "DKIM signing of the mail it relays"), judged by two independent
verifiers, Python's dkimpy (python3-dkim) and OpenDKIM (`opendkim -t`, with libunbound), both
fetching the key records from NSD. The keys come from `mxrelay dkim keygen` (RSA 2048 and
Ed25519, one selector each, so every signed message carries two signatures).
"""

import base64
import os
import re
import smtplib
import subprocess
import unittest

import dkim

from harness import (
    E2eTestCase,
    Mxrelay,
    Nsd,
    SmtpSink,
    dns_query,
    free_port,
    mxrelay_bin,
    transport_table,
)

DOMAIN = "corp.example"
SENDER_DOMAIN = "sender.example"  # signs with its own key before the relay sees the message
LONG_SUBJECT = "A subject long enough to be folded " + "over several lines " * 8


def keygen(directory, selector, *extra):
    out = directory / f"{selector}.pem"
    done = subprocess.run(
        [mxrelay_bin(), "dkim", "keygen", DOMAIN, selector, "--out", out, *extra],
        capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise AssertionError(f"dkim keygen failed: {done.stderr}")
    record = re.search(r"^\s*(\S+\._domainkey\.\S+ IN TXT \(.*\))$", done.stdout, re.M)
    if not record:
        raise AssertionError(f"no TXT record in keygen's output:\n{done.stdout}")
    return out, record.group(1)


def zone(origin, records):
    return (f"$ORIGIN {origin}.\n$TTL 300\n"
            f"@ IN SOA ns.{origin}. hostmaster.{origin}. 1 3600 600 86400 300\n"
            f"@ IN NS ns.{origin}.\nns IN A 127.0.0.1\n" + "\n".join(records) + "\n")


def message(author, subject="DKIM test", body="Hello, signed world.\r\n", extra_headers="",
            eight_bit=False):
    sender = author if "," in author else f"Alice Example <{author}>"
    text = (f"From: {sender}\r\nTo: bob@dest.example\r\n"
            f"Subject: {subject}\r\nDate: Thu, 03 Dec 2026 12:00:00 +0000\r\n"
            f"Message-ID: <{abs(hash(subject + body))}@corp.example>\r\n{extra_headers}"
            "MIME-Version: 1.0\r\n")
    if eight_bit:
        text += ("Content-Type: text/plain; charset=utf-8\r\n"
                 "Content-Transfer-Encoding: 8bit\r\n\r\n"
                 "Grüße aus Köln, ça va? Ωμέγα\r\n  indented\t line  \r\n\r\n")
    else:
        text += "Content-Type: text/plain; charset=us-ascii\r\n\r\n" + body
    return text.encode()


class DkimTest(E2eTestCase):
    def setUp(self):
        super().setUp()
        keys = self.workdir / "keys"
        keys.mkdir()
        self.rsa_key, rsa_record = keygen(keys, "rsa2026")
        self.ed_key, ed_record = keygen(keys, "ed2026", "--ed25519")
        self.unpublished_key, _ = keygen(keys, "unpublished")
        self.sender_key = keys / "sender.pem"
        subprocess.run(["openssl", "genrsa", "-out", self.sender_key, "2048"], check=True,
                       capture_output=True)
        sender_public = subprocess.run(
            ["openssl", "rsa", "-in", self.sender_key, "-pubout", "-outform", "DER"],
            check=True, capture_output=True).stdout
        text = f"v=DKIM1; k=rsa; p={base64.b64encode(sender_public).decode()}"
        sender_record = "sel._domainkey IN TXT ( " + " ".join(
            f'"{text[i:i + 200]}"' for i in range(0, len(text), 200)) + " )"
        self.nsd = self.start(Nsd(self.workdir, self.block.host(53), {
            DOMAIN: zone(DOMAIN, [rsa_record, ed_record]),
            SENDER_DOMAIN: zone(SENDER_DOMAIN, [sender_record]),
        }))
        sink_address = self.block.host(30)
        self.sink = self.start(SmtpSink(self.workdir, "sink", sink_address,
                                        free_port(sink_address)))
        seven_address = self.block.host(31)
        self.seven_bit_sink = self.start(SmtpSink(self.workdir, "seven", seven_address,
                                                  free_port(seven_address), eight_bit_mime=False))
        self.relay = Mxrelay(
            self.workdir, self.block,
            {"dns": {"stub": self.nsd.stubs()}, "queue": {"postmaster": ""}},
            extra_toml=self.dkim_toml() + transport_table({
                "dest.example": {"host": f"{sink_address}:{self.sink.port}", "tls": "none"},
                "seven.example": {"host": f"{seven_address}:{self.seven_bit_sink.port}",
                                  "tls": "none"},
            }))
        self.start(self.relay)

    def dkim_toml(self, rsa_key=None):
        return (f'\n[[dkim]]\ndomain = "{DOMAIN}"\nselector = "rsa2026"\n'
                f'key_file = "{rsa_key or self.rsa_key}"\n'
                f'\n[[dkim]]\ndomain = "{DOMAIN}"\nselector = "ed2026"\nkey_file = "{self.ed_key}"\n')

    # ---- helpers ----

    def dns(self, name, timeout=5):
        """dkimpy's DNS lookup, answered by NSD."""
        reply = dns_query(self.nsd.address, self.nsd.port, name.decode().rstrip("."), "TXT")
        return b"".join(b"".join(rr.rdata.data) for rr in reply.rr if rr.rtype == 16)

    def relay_message(self, data, recipient="bob@dest.example", sink=None):
        sink = sink or self.sink
        before = len(sink.messages())
        with smtplib.SMTP(*self.relay.smtp_server, timeout=30) as smtp:
            smtp.ehlo("exchange.corp.example")
            options = ["BODY=8BITMIME"] if any(b > 127 for b in data) else []
            smtp.sendmail("alice@corp.example", [recipient], data, mail_options=options)
        received = sink.wait_for_messages(before + 1, timeout=30)[before]
        return base64.b64decode(received["data_base64"])

    def signatures(self, data):
        return [m for m in re.findall(rb"^DKIM-Signature:.*?(?=\r\n\S)", data, re.M | re.S)]

    def assert_dkimpy_verifies_every_signature(self, data, count):
        signatures = self.signatures(data)
        self.assertEqual(len(signatures), count, data[:2000])
        verifier = dkim.DKIM(data)
        for index in range(count):
            self.assertTrue(verifier.verify(idx=index, dnsfunc=self.dns),
                            f"dkimpy refused signature {index}: {signatures[index]!r}")

    def opendkim_results(self, data):
        """What `opendkim -t` says of each signature: the lines it logs to stderr."""
        unbound_conf = self.workdir / "opendkim-unbound.conf"
        stubs = "".join(f'stub-zone:\n  name: "{z}"\n  stub-addr: {self.nsd.server()}\n'
                        for z in (DOMAIN, SENDER_DOMAIN))
        unbound_conf.write_text('server:\n  do-not-query-localhost: no\n'
                                '  module-config: "iterator"\n' + stubs)
        conf = self.workdir / "opendkim.conf"
        conf.write_text(f"Mode v\nSyslog no\nLogResults yes\nLogWhy yes\n"
                        f"ResolverConfiguration {unbound_conf}\n")
        message_file = self.workdir / "message.eml"
        message_file.write_bytes(data)
        done = subprocess.run(["opendkim", "-x", conf, "-vvv", "-t", message_file],
                              capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout + done.stderr

    def assert_opendkim_verifies(self, data):
        """OpenDKIM's Authentication-Results must say dkim=pass for every signature."""
        code, output = self.opendkim_results(data)
        self.assertEqual(code, 0, output)
        results = re.findall(r"dkim=(\w+)", output)
        self.assertEqual(results, ["pass"] * len(self.signatures(data)), output)

    # ---- cases ----

    def test_both_signatures_verify_with_dkimpy_and_opendkim(self):
        extra = "X-Long: " + "word " * 60 + "\r\n\tcontinued\r\n"
        body = "Trailing  spaces \t\r\n\r\n \r\n\r\n"  # relaxed: trimmed, empty lines dropped
        data = self.relay_message(message("alice@corp.example", subject=LONG_SUBJECT, body=body,
                                          extra_headers=extra))
        self.assert_dkimpy_verifies_every_signature(data, 2)
        self.assert_opendkim_verifies(data)
        self.assertIn(b"a=rsa-sha256", self.signatures(data)[0] + self.signatures(data)[1])
        self.assertIn(b"a=ed25519-sha256", self.signatures(data)[0] + self.signatures(data)[1])
        for signature in self.signatures(data):
            self.assertIn(b"c=relaxed/relaxed", signature)
            self.assertRegex(signature, rb"h=from:from:")
            self.assertNotRegex(signature, rb"[;\s]l=")
            self.assertTrue(all(len(line) <= 78 for line in signature.split(b"\r\n")), signature)
        self.assertEqual(self.relay.metric("mxrelay_dkim_signatures_total", domain=DOMAIN,
                                           algorithm="ed25519-sha256"), 1.0)

    def test_an_author_in_a_subdomain_is_signed_for_the_parent_domain(self):
        data = self.relay_message(message("news@mail.corp.example"))
        self.assert_dkimpy_verifies_every_signature(data, 2)
        self.assertIn(b"d=corp.example;", self.signatures(data)[0])

    def test_eight_bit_content_to_a_hop_without_8bitmime_is_signed_after_conversion(self):
        data = self.relay_message(message("alice@corp.example", eight_bit=True),
                                  recipient="bob@seven.example", sink=self.seven_bit_sink)
        self.assertTrue(all(b < 128 for b in data), "the content was not converted to 7 bit")
        self.assertIn(b"Content-Transfer-Encoding: quoted-printable", data)
        self.assert_dkimpy_verifies_every_signature(data, 2)
        self.assert_opendkim_verifies(data)

    def test_a_message_signed_by_its_sender_stays_valid(self):
        original = message("alice@corp.example", eight_bit=True)
        signature = dkim.sign(original, b"sel", SENDER_DOMAIN.encode(),
                              self.sender_key.read_bytes(),
                              include_headers=[b"from", b"to", b"subject", b"date"])
        signed = signature + original
        data = self.relay_message(signed)
        self.assertTrue(data.endswith(signed), "the sender's signed message was altered")
        self.assert_dkimpy_verifies_every_signature(data, 3)
        self.assert_opendkim_verifies(data)

        # To a next hop without 8BITMIME it cannot go unaltered: it bounces, never broken.
        with smtplib.SMTP(*self.relay.smtp_server, timeout=30) as smtp:
            smtp.ehlo("exchange.corp.example")
            smtp.sendmail("alice@corp.example", ["bob@seven.example"], signed,
                          mail_options=["BODY=8BITMIME"])
        bounced = self.relay.wait_for_log(event="delivery", status="bounced", to="<bob@seven.example>")
        self.assertEqual(bounced["dsn"], "5.6.3", bounced["_line"])
        self.assertIn("would break that signature", bounced["reply"])
        self.assertEqual(self.seven_bit_sink.messages(), [])

    def test_an_author_outside_the_configured_domains_is_sent_unsigned(self):
        data = self.relay_message(message("carol@other.example"))
        self.assertEqual(self.signatures(data), [])
        self.relay.wait_for_sample("mxrelay_dkim_unsigned_total", 1.0, reason="no_key")
        data = self.relay_message(message("alice@corp.example, carol@corp.example"))
        self.assertEqual(self.signatures(data), [])
        self.relay.wait_for_sample("mxrelay_dkim_unsigned_total", 1.0, reason="several_authors")

    def test_dkim_check_compares_the_published_record_with_the_key(self):
        done = self.relay.run_command("dkim", "check", "-c", self.relay.config_path, DOMAIN,
                                      "ed2026")
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn("the record matches the configured key", done.stdout)
        self.relay.config_path.write_text(self.relay.config_path.read_text().replace(
            str(self.rsa_key), str(self.unpublished_key)))
        done = self.relay.run_command("dkim", "check", "-c", self.relay.config_path, DOMAIN,
                                      "rsa2026")
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertIn("another public key", done.stdout)

    def test_a_weak_or_unreadable_key_is_refused_by_check_and_reload_keeps_the_old_keys(self):
        weak = self.workdir / "keys" / "weak.pem"
        subprocess.run(["openssl", "genrsa", "-out", weak, "1024"], check=True,
                       capture_output=True)
        os.chmod(weak, 0o600)
        good_config = self.relay.config_path.read_text()
        self.relay.config_path.write_text(good_config.replace(str(self.rsa_key), str(weak)))
        done = self.relay.run_command("check", "-c", self.relay.config_path)
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertRegex(done.stderr, r"mxrelay\.toml:\d+:\d+: dkim\.key_file: .*weak\.pem holds "
                                      r"an RSA key of 1024 bits")
        done = self.relay.run_command("reload", "-c", self.relay.config_path)
        self.assertNotEqual(done.returncode, 0, done.stdout + done.stderr)

        os.chmod(self.rsa_key, 0o644)
        self.relay.config_path.write_text(good_config)
        done = self.relay.run_command("check", "-c", self.relay.config_path)
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertIn("is readable by others (chmod 600)", done.stderr)
        os.chmod(self.rsa_key, 0o600)

        data = self.relay_message(message("alice@corp.example"))
        self.assert_dkimpy_verifies_every_signature(data, 2)


if __name__ == "__main__":
    unittest.main()
