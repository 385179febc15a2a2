"""e2e: a reload (SIGHUP) applies every reloadable group at once, on the running relay: the
inbound connection limits, the AUTH failure limit, the address-health thresholds and the CA
file of tls = "verify" each change behaviour after the reload, with the state they guard
(queued mail, open connections) kept. Keys that need a restart (server.listen) are named in
a reload_warning line and keep their old value. A configuration whose certificate or key
cannot be used is refused by `mxrelay check` and by the reload as a whole."""

import smtplib
import socket
import unittest

from harness import (
    E2eTestCase, Mxrelay, Nsd, SmtpSink, free_port, port_accepts, render_zone, send_smtplib,
    self_signed_certificate, transport_table, wait_until, write_credentials,
)

SENDER = "sender@client.example"
RECIPIENT = "user@reload.example"
AUTH_USER = "alice"
AUTH_PASSWORD = "correct horse"


class ReloadTest(E2eTestCase):
    def start_relay(self, overrides, transport):
        self.transport = transport
        self.relay = self.start(Mxrelay(self.workdir, self.block, overrides,
                                        extra_toml=transport_table(transport)))
        self.reloads = 0
        return self.relay

    def reload(self, **sections):
        """Merges `sections` into the config, rewrites it, sends SIGHUP and waits until the
        relay logged the reload as applied."""
        for section, values in sections.items():
            self.relay.config.setdefault(section, {}).update(values)
        self.relay.write_config(transport_table(self.transport))
        self.relay.sighup()
        self.reloads += 1
        self.relay.wait_for_logs(self.reloads, event="reload", result="ok")

    def sink_route(self, sink):
        return {"*": {"host": f"[{sink.addresses[0]}]:{sink.port}"}}

    def greeting(self):
        """A new connection to the relay and its greeting line (the socket stays open)."""
        sock = socket.create_connection(self.relay.smtp_server, timeout=10)
        self.addCleanup(sock.close)
        return sock, sock.makefile("rb").readline().decode()

    def test_connection_limit_per_client_applies_after_reload(self):
        address = self.block.host(10)
        sink = self.start(SmtpSink(self.workdir, "sink", address, free_port(address)))
        self.start_relay({}, self.sink_route(sink))
        first, second = self.greeting(), self.greeting()
        self.assertTrue(first[1].startswith("220 ") and second[1].startswith("220 "),
                        (first[1], second[1]))
        first[0].close()
        second[0].close()

        self.reload(server={"max_connections_per_client": 1})
        # The two connections above end on the relay's side in their own time; one new
        # connection is greeted once they have.
        def greeted():
            sock, line = self.greeting()
            return (sock, line) if line.startswith("220 ") else sock.close()

        holder, _ = wait_until(greeted, 10, "a connection under the new limit")
        _, line = self.greeting()
        self.assertTrue(line.startswith("421 4.7.0 "), line)
        self.assertIn("too many connections", line)
        holder.close()

    def test_auth_failure_limit_applies_after_reload(self):
        address = self.block.host(10)
        sink = self.start(SmtpSink(self.workdir, "sink", address, free_port(address)))
        cert, key = self_signed_certificate(self.workdir / "tls", "relay.mxrelay.example")
        credentials = write_credentials(self.workdir / "credentials", AUTH_USER, AUTH_PASSWORD)
        server = {"tls_cert_file": str(cert), "tls_key_file": str(key),
                  "credentials_file": str(credentials), "auth_max_failures": 5}
        self.start_relay({"server": server}, self.sink_route(sink))

        def login(password):
            """One AUTH PLAIN over STARTTLS; its reply code."""
            with smtplib.SMTP(*self.relay.smtp_server, timeout=10) as smtp:
                smtp.starttls()
                smtp.ehlo("client.example")
                smtp.user, smtp.password = AUTH_USER, password
                try:
                    code, _ = smtp.auth("PLAIN", smtp.auth_plain)
                except smtplib.SMTPAuthenticationError as refused:
                    return refused.smtp_code
                return code

        self.assertEqual(login("wrong"), 535)
        self.assertEqual(login(AUTH_PASSWORD), 235)  # 1 failure of 5: not locked out
        self.reload(server={"auth_max_failures": 1})
        self.assertEqual(login("wrong"), 535)
        self.assertEqual(login(AUTH_PASSWORD), 421)  # 1 failure of 1: locked out
        self.relay.wait_for_log(event="auth", result="locked_out")

    def test_health_threshold_applies_after_reload(self):
        # Nobody listens on this address: every connection is refused at once.
        dead = self.block.host(20)
        port = free_port(dead)
        self.assertFalse(port_accepts(dead, port))
        self.transport = {"*": {"host": f"[{dead}]:{port}"}}
        self.start_relay({"queue": {"retry_intervals": ["1h"]},
                          "delivery": {"health_failure_threshold": 3}}, self.transport)
        send_smtplib(self.relay.smtp_server, SENDER, RECIPIENT)
        self.relay.wait_for_logs(1, event="delivery", status="deferred")
        self.assertEqual(self.relay.metric("mxrelay_unhealthy_addresses", destination="*"), 0)

        self.reload(delivery={"health_failure_threshold": 2})
        flushed, code = self.relay.queue("flush")
        self.assertEqual(code, 0, flushed)
        self.relay.wait_for_logs(2, event="delivery", status="deferred")
        # Two failures: the breaker opens under the new threshold (it would not under 3).
        self.relay.wait_for_sample("mxrelay_unhealthy_addresses", 1, destination="*")

    def test_tls_ca_file_applies_after_reload(self):
        ns = self.block.host(53)
        zone = render_zone("smarthost.example", NS=ns, NET=self.block.prefix)
        nsd = self.start(Nsd(self.workdir, ns, {"smarthost.example": zone}))
        host = "submission.smarthost.example"
        sink_address = self.block.host(30)
        port = free_port(sink_address)
        cert, key = self_signed_certificate(self.workdir / "tls", host)
        other_ca, _ = self_signed_certificate(self.workdir / "other", host)
        sink = self.start(SmtpSink(self.workdir, "smarthost", sink_address, port,
                                   tls=(cert, key), implicit_tls=True))
        self.start_relay(
            {"dns": {"stub": nsd.stubs()}, "queue": {"retry_intervals": ["1h"]},
             "delivery": {"tls_ca_file": str(other_ca)}},
            {"*": {"host": f"{host}:{port}", "implicit_tls": True}},
        )
        send_smtplib(self.relay.smtp_server, SENDER, RECIPIENT)
        deferred = self.relay.wait_for_log(event="delivery", status="deferred")
        self.assertEqual(deferred["dsn"], "4.7.5", deferred["_line"])
        self.assertEqual(sink.messages(), [])

        self.reload(delivery={"tls_ca_file": str(cert)})
        self.relay.queue("flush")
        (message,) = sink.wait_for_messages(1)
        self.assertTrue(message["tls"], message)
        self.relay.wait_for_log(event="delivery", status="sent")

    def test_a_broken_certificate_fails_check_and_the_reload_keeps_the_old_one(self):
        cert, key = self_signed_certificate(self.workdir / "tls", "relay.mxrelay.example")
        self.start_relay({"server": {"tls_cert_file": str(cert), "tls_key_file": str(key)}},
                         {"*": {"host": "[127.0.0.1]:9", "tls": "none"}})
        _, other_key = self_signed_certificate(self.workdir / "other", "other.example")
        self.relay.config["server"]["tls_key_file"] = str(other_key)
        self.relay.write_config(transport_table(self.transport))

        done = self.relay.run_command("check", "-c", self.relay.config_path)
        mismatch = r"cannot load key .*other\.example\.key: .*key values mismatch"
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertRegex(done.stderr, mismatch)
        done = self.relay.run_command("reload", "-c", self.relay.config_path)
        self.assertNotEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertRegex(done.stderr, mismatch)
        self.relay.wait_for_log(event="reload", result="rejected")
        self.relay.wait_for_sample("mxrelay_config_last_reload_successful", 0.0)

        # The old certificate still serves STARTTLS.
        with smtplib.SMTP(*self.relay.smtp_server, timeout=15) as smtp:
            smtp.ehlo("client.example")
            self.assertTrue(smtp.has_extn("starttls"))
            code, _ = smtp.starttls()
            self.assertEqual(code, 220)

    def test_restart_only_keys_are_named_and_kept(self):
        address = self.block.host(10)
        sink = self.start(SmtpSink(self.workdir, "sink", address, free_port(address)))
        self.start_relay({}, self.sink_route(sink))
        other = self.block.host(2)
        self.reload(server={"listen": [f"{other}:{free_port(other)}"],
                            "hostname": "renamed.mxrelay.example"})
        warning = self.relay.wait_for_log(event="reload_warning")
        self.assertEqual(warning["key"], "server.listen", warning["_line"])
        self.assertEqual(self.relay.log_events(event="reload_warning", key="queue.dir"), [])
        # Still listening where it was; the reloadable hostname is in effect.
        with smtplib.SMTP(*self.relay.smtp_server, timeout=10) as smtp:
            code, banner = smtp.ehlo("client.example")
            self.assertEqual(code, 250)
            self.assertTrue(banner.decode().startswith("renamed.mxrelay.example"), banner)


if __name__ == "__main__":
    unittest.main()
