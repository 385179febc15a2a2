"""e2e: fixtures that run mxrelay against real peers on loopback, for the end-to-end tests.

Each test gets its own random 127.A.B.0/24 block (AddressBlock), so tests never share an
address and can run in parallel. Every peer runs as a child process with its output in the
test's work directory, is ready-checked against a deadline (a real DNS query, a "listening"
record or an accepting port; never a fixed sleep), and is always stopped: start peers with
E2eTestCase.start(), which registers the stop as a cleanup. When a test fails, the logs of
all its peers are printed and its work directory is kept.

Peers: Nsd (authoritative DNS from zone templates in tests/fixtures/zones), FlakyDns
(flaky_dns.py: SERVFAIL for MX, or silence), SmtpSink (sink.py: aiosmtpd, records every
connection, AUTH and message as JSON lines; optionally STARTTLS or implicit TLS, AUTH and
a raw capture of the wire bytes), PostfixSmtpSink (Postfix's smtp-sink, for load) and
Mxrelay (the program under test, $MXRELAY_BIN). Senders: send_swaks, send_smtplib.
Run with /usr/bin/python3 (Debian's aiosmtpd and dnslib).
"""

import ctypes
import json
import os
import random
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from dnslib import QTYPE, RCODE, DNSRecord, EDNS0

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
ZONES = REPO / "tests" / "fixtures" / "zones"
PYTHON = "/usr/bin/python3"
POLL_INTERVAL = 0.02
START_TIMEOUT = 20.0


# ---- waiting --------------------------------------------------------------------------


def wait_until(condition, timeout, what, interval=POLL_INTERVAL):
    """Polls condition() every `interval` seconds until it returns a truthy value (returned)
    or `timeout` seconds pass (TimeoutError naming `what`)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


# ---- addresses and ports --------------------------------------------------------------


class AddressBlock:
    """A random 127.A.B.0/24 block for one test: host(n) is 127.A.B.n. A is kept away from
    127.0.x.x, which people use by hand."""

    def __init__(self, prefix):
        self.prefix = prefix

    @classmethod
    def random(cls):
        rng = random.SystemRandom()
        return cls(f"127.{rng.randint(64, 254)}.{rng.randint(0, 255)}")

    def host(self, n):
        return f"{self.prefix}.{n}"

    def hosts(self, first, last):
        return [self.host(n) for n in range(first, last + 1)]


def send_numbered(server, sender, recipient, first, count, subject):
    """One client session sending `count` messages from `sender` to `recipient`, with the
    subjects "SUBJECT N" for N from `first` on."""
    with smtplib.SMTP(server[0], server[1], timeout=30) as smtp:
        smtp.ehlo("client.mxrelay-test.example")
        for n in range(first, first + count):
            message = EmailMessage()
            message["From"] = sender
            message["To"] = recipient
            message["Subject"] = f"{subject} {n}"
            message.set_content(f"message {n}\n")
            smtp.send_message(message, sender, [recipient])


def free_port(address, udp_too=False):
    """A TCP port (free for UDP as well with udp_too) that the kernel considers free on
    `address` (IPv4, or IPv6 such as "::1") right now."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    for _ in range(50):
        with socket.socket(family, socket.SOCK_STREAM) as tcp:
            tcp.bind((address, 0))
            port = tcp.getsockname()[1]
            if not udp_too:
                return port
            try:
                with socket.socket(family, socket.SOCK_DGRAM) as udp:
                    udp.bind((address, port))
                return port
            except OSError:
                continue
    raise RuntimeError(f"no free port on {address}")


def port_accepts(address, port):
    try:
        with socket.create_connection((address, port), timeout=0.5):
            return True
    except OSError:
        return False


# ---- child processes ------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """Runs in the child before exec: SIGTERM it if the test process dies (e.g. a ctest
    timeout), so no peer outlives its test."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Process:
    """One child process whose stdout and stderr go to `log_path`."""

    def __init__(self, name, argv, log_path, env=None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log_path = Path(log_path)
        self.env = env
        self.popen = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                preexec_fn=_die_with_parent,
            )

    @property
    def running(self):
        return self.popen is not None and self.popen.poll() is None

    def check_running(self):
        if self.popen is None:
            raise AssertionError(f"{self.name} was never started")
        code = self.popen.poll()
        if code is not None:
            raise AssertionError(
                f"{self.name} exited with status {code}: {' '.join(self.argv)}\n"
                + tail(self.log_path)
            )

    def terminate(self, timeout=10.0):
        """SIGTERM, then wait; SIGKILL after `timeout`. Returns (exit status, stopped in time)."""
        if self.popen is None:
            return None, True
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout), True
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait(), False

    def kill(self):
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()


def tail(path, lines=200):
    try:
        text = Path(path).read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return f"({path} does not exist)"
    return "\n".join(text[-lines:])


def read_json_lines(path):
    """Complete JSON lines of a file another process appends to."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    complete = data[: data.rfind(b"\n") + 1]
    return [json.loads(line) for line in complete.splitlines() if line.strip()]


class Fixture:
    """A peer of a test: start() returns once it is ready, stop() always works, logs()
    lists the files worth printing when the test fails."""

    name = "fixture"

    def start(self):
        raise NotImplementedError

    def stop(self):
        raise NotImplementedError

    def logs(self):
        return []

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


# ---- DNS ------------------------------------------------------------------------------


def render_zone(template, **values):
    """Zone text from tests/fixtures/zones/TEMPLATE.zone with each {{KEY}} replaced by
    values[KEY]; a placeholder without a value is an error."""
    text = (ZONES / f"{template}.zone").read_text()

    def substitute(match):
        key = match.group(1)
        if key not in values:
            raise KeyError(f"zone template {template}: no value for {{{{{key}}}}}")
        return str(values[key])

    return re.sub(r"\{\{(\w+)\}\}", substitute, text)


def dns_query(address, port, name, qtype, tcp=False, bufsize=None, timeout=1.0):
    """One query (UDP with optional EDNS buffer size, or TCP); returns the parsed reply."""
    question = DNSRecord.question(name, qtype)
    if bufsize:
        question.add_ar(EDNS0(udp_len=bufsize))
    return DNSRecord.parse(question.send(address, port, tcp=tcp, timeout=timeout))


class Nsd(Fixture):
    """NSD in the foreground serving `zones` (zone name -> zone text) on address@port.
    edns_size is ipv4-edns-size: 512 makes large answers truncate over UDP."""

    name = "nsd"

    def __init__(self, workdir, address, zones, edns_size=512, port=None):
        self.dir = Path(workdir) / f"nsd-{address}"
        self.address = address
        self.port = port or free_port(address, udp_too=True)
        self.zones = dict(zones)
        self.edns_size = edns_size
        self.process = Process(
            self.name, ["nsd", "-d", "-c", self.dir / "nsd.conf"], self.dir / "nsd.stderr"
        )

    def server(self):
        """libunbound's addr@port syntax."""
        return f"{self.address}@{self.port}"

    def stubs(self):
        """[[dns.stub]] entries sending every zone of this server here."""
        return [{"zone": zone, "servers": [self.server()]} for zone in self.zones]

    def _write_config(self):
        zonesdir = self.dir / "zones"
        zonesdir.mkdir(parents=True, exist_ok=True)
        lines = [
            "server:",
            f"    ip-address: {self.address}@{self.port}",
            f"    port: {self.port}",
            "    do-ip6: no",
            '    username: ""',
            '    chroot: ""',
            '    database: ""',
            f'    zonesdir: "{zonesdir}"',
            f'    zonelistfile: "{self.dir / "zone.list"}"',
            f'    xfrdfile: "{self.dir / "xfrd.state"}"',
            f'    xfrdir: "{self.dir}"',
            f'    pidfile: "{self.dir / "nsd.pid"}"',
            f'    logfile: "{self.dir / "nsd.log"}"',
            "    server-count: 1",
            "    verbosity: 1",
            f"    ipv4-edns-size: {self.edns_size}",
            "remote-control:",
            "    control-enable: no",
        ]
        for zone, text in self.zones.items():
            (zonesdir / f"{zone}.zone").write_text(text)
            lines += ["zone:", f'    name: "{zone}"', f'    zonefile: "{zone}.zone"']
        (self.dir / "nsd.conf").write_text("\n".join(lines) + "\n")

    def _answers_soa(self, zone):
        self.process.check_running()
        try:
            reply = dns_query(self.address, self.port, zone, "SOA", timeout=0.2)
        except OSError:
            return False
        return reply.header.rcode == RCODE.NOERROR and any(
            rr.rtype == QTYPE.SOA for rr in reply.rr
        )

    def start(self):
        self._write_config()
        self.process.start()
        for zone in self.zones:
            wait_until(lambda: self._answers_soa(zone), START_TIMEOUT, f"NSD to serve {zone} SOA")

    def stop(self):
        self.process.terminate()

    def logs(self):
        return [self.process.log_path, self.dir / "nsd.log"]


class FlakyDns(Fixture):
    """flaky_dns.py serving zone `zone` from `zone_text` but failing on purpose:
    behaviour servfail-mx (SERVFAIL for MX, real answers for A), servfail, silent or normal."""

    name = "flaky-dns"

    def __init__(self, workdir, address, zone, zone_text, behaviour, port=None):
        self.dir = Path(workdir) / f"flaky-dns-{address}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.address = address
        self.port = port or free_port(address, udp_too=True)
        self.zone = zone
        self.zone_file = self.dir / f"{zone}.zone"
        self.zone_file.write_text(zone_text)
        self.record_path = self.dir / "queries.jsonl"
        self.process = Process(
            self.name,
            [
                PYTHON,
                HERE / "flaky_dns.py",
                "--address", address,
                "--port", self.port,
                "--zone-file", self.zone_file,
                "--behaviour", behaviour,
                "--record", self.record_path,
            ],
            self.dir / "flaky-dns.log",
        )

    def server(self):
        return f"{self.address}@{self.port}"

    def stubs(self):
        return [{"zone": self.zone, "servers": [self.server()]}]

    def queries(self):
        return [r for r in read_json_lines(self.record_path) if r["event"] == "query"]

    def _listening(self):
        self.process.check_running()
        return any(r["event"] == "listening" for r in read_json_lines(self.record_path))

    def start(self):
        self.process.start()
        wait_until(self._listening, START_TIMEOUT, "flaky DNS server to listen")

    def stop(self):
        self.process.terminate()

    def logs(self):
        return [self.process.log_path, self.record_path]


# ---- Redis ----------------------------------------------------------------------------


class Redis(Fixture):
    """redis-server on `address`:`port` without persistence (a [cluster]'s shared store);
    stop() and start() again give an empty one on the same port."""

    name = "redis"

    def __init__(self, workdir, address, port=None):
        self.dir = Path(workdir) / "redis"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.address = address
        self.port = port or free_port(address)
        self.process = Process(
            self.name,
            ["redis-server", "--port", self.port, "--bind", address, "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            self.dir / "redis.log",
        )

    @property
    def endpoint(self):
        return f"{self.address}:{self.port}"

    def start(self):
        self.process.start()

        def ready():
            self.process.check_running()
            return port_accepts(self.address, self.port)

        wait_until(ready, START_TIMEOUT, "redis-server to listen")

    def stop(self):
        self.process.terminate()

    def logs(self):
        return [self.process.log_path]


# ---- SMTP sinks -----------------------------------------------------------------------


class SmtpSink(Fixture):
    """sink.py (aiosmtpd) on every address of `addresses`, all on `port`. `replies` maps a
    stage (greeting, mail, rcpt, data) to the reply to give there instead of accepting,
    e.g. {"mail": "530 5.7.57 Client not authenticated to send mail"}.
    tls=(cert, key) offers STARTTLS, or with implicit_tls=True speaks TLS from the first
    byte; auth=(user, password) requires AUTH before MAIL (offered only under TLS unless
    auth_without_tls; auth_mechanisms limits the offer, e.g. ["LOGIN"]); raw=True records
    every byte clients send, before TLS decryption, in raw_path (raw_bytes());
    eight_bit_mime=False leaves 8BITMIME out of its EHLO reply. rate_limit=(N, SECONDS)
    answers MAIL with 451 4.7.650 once N messages arrived in the last SECONDS, and
    max_concurrent=M greets connections beyond M open ones with 421 4.7.0 (throttles()).
    throttle_peers=[IP, ...] answers every MAIL from those client IPs with 451 4.7.650.
    requiretls=True offers REQUIRETLS under TLS and records the MAIL parameter."""

    def __init__(self, workdir, name, addresses, port, replies=None, *, tls=None,
                 implicit_tls=False, auth=None, auth_without_tls=False, auth_mechanisms=None,
                 raw=False, eight_bit_mime=True, rate_limit=None, max_concurrent=None,
                 requiretls=False, throttle_peers=()):
        self.name = name
        self.dir = Path(workdir) / f"sink-{name}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.addresses = [addresses] if isinstance(addresses, str) else list(addresses)
        self.port = port
        self.record_path = self.dir / "events.jsonl"
        self.raw_path = self.dir / "raw.bin" if raw else None
        argv = [PYTHON, HERE / "sink.py", "--port", port, "--record", self.record_path]
        for address in self.addresses:
            argv += ["--listen", address]
        for stage, reply in (replies or {}).items():
            argv += ["--reply", f"{stage}={reply}"]
        if tls:
            argv += ["--tls-cert", tls[0], "--tls-key", tls[1]]
        if implicit_tls:
            argv += ["--implicit-tls"]
        if auth:
            argv += ["--auth", f"{auth[0]}:{auth[1]}"]
        if auth_without_tls:
            argv += ["--auth-without-tls"]
        if auth_mechanisms:
            argv += ["--auth-mechanisms", ",".join(auth_mechanisms)]
        if raw:
            argv += ["--raw", self.raw_path]
        if not eight_bit_mime:
            argv += ["--no-8bitmime"]
        if rate_limit:
            argv += ["--rate-limit", f"{rate_limit[0]}:{rate_limit[1]}"]
        if max_concurrent:
            argv += ["--max-concurrent", max_concurrent]
        if requiretls:
            argv += ["--requiretls"]
        for peer in throttle_peers:
            argv += ["--throttle-peer", peer]
        self.process = Process(name, argv, self.dir / "sink.log")

    def raw_bytes(self):
        """Everything clients have sent so far (raw=True), as read from the sockets."""
        if self.raw_path is None:
            raise AssertionError(f"sink {self.name} was started without raw=True")
        try:
            return self.raw_path.read_bytes()
        except FileNotFoundError:
            return b""

    def auth_events(self):
        return self.events("auth")

    def disconnections(self):
        return self.events("disconnect")

    def wait_for_disconnections(self, count, timeout=20.0):
        """Blocks until at least `count` client connections have ended; returns them."""

        def enough():
            self.process.check_running()
            ended = self.disconnections()
            return ended if len(ended) >= count else None

        return wait_until(enough, timeout, f"{count} disconnection(s) at sink {self.name}")

    def events(self, kind):
        return [r for r in read_json_lines(self.record_path) if r["event"] == kind]

    def connections(self):
        return self.events("connect")

    def throttles(self):
        """The refusals of rate_limit and max_concurrent, in order."""
        return self.events("throttled")

    def messages(self):
        return self.events("message")

    def wait_for_messages(self, count, timeout=20.0):
        """Blocks until the sink has recorded at least `count` messages; returns them all."""

        def enough():
            self.process.check_running()
            messages = self.messages()
            return messages if len(messages) >= count else None

        return wait_until(enough, timeout, f"{count} message(s) at sink {self.name}")

    def wait_for_connections(self, count, timeout=20.0):
        def enough():
            self.process.check_running()
            connections = self.connections()
            return connections if len(connections) >= count else None

        return wait_until(enough, timeout, f"{count} connection(s) at sink {self.name}")

    def _listening(self):
        self.process.check_running()
        return bool(self.events("listening"))

    def start(self):
        self.process.start()
        wait_until(self._listening, START_TIMEOUT, f"sink {self.name} to listen")

    def stop(self):
        self.process.terminate()

    def logs(self):
        return [self.process.log_path, self.record_path]


class PostfixSmtpSink(Fixture):
    """Postfix's smtp-sink on address:port, for load: fast, counts messages, keeps none."""

    def __init__(self, workdir, name, address, port, extra_args=()):
        self.name = name
        self.dir = Path(workdir) / f"smtp-sink-{name}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.address = address
        self.port = port
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        self.process = Process(
            name,
            ["smtp-sink", *user, "-c", *extra_args, f"{address}:{port}", "1024"],
            self.dir / "smtp-sink.log",
        )

    def message_count(self):
        """smtp-sink -c prints "sess=N quit=N mesg=N" counters separated by CR."""
        counts = re.findall(rb"mesg=(\d+)", self.process.log_path.read_bytes())
        return int(counts[-1]) if counts else 0

    def wait_for_messages(self, count, timeout=60.0):
        def enough():
            self.process.check_running()
            return self.message_count() >= count

        wait_until(enough, timeout, f"{count} message(s) at smtp-sink {self.name}")

    def start(self):
        self.process.start()

        def ready():
            self.process.check_running()
            return port_accepts(self.address, self.port)

        wait_until(ready, START_TIMEOUT, f"smtp-sink {self.name} to accept connections")

    def stop(self):
        self.process.terminate()

    def logs(self):
        return [self.process.log_path]


# ---- mxrelay --------------------------------------------------------------------------


def mxrelay_bin():
    """$MXRELAY_BIN (set by ctest), else the binary of the default build directory."""
    return os.environ.get("MXRELAY_BIN") or str(REPO / "build" / "mxrelay")


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def to_toml(table, prefix=""):
    """TOML text for nested dicts: scalars and arrays as keys, dicts as [tables], lists of
    dicts as [[arrays of tables]]."""
    scalars, tables, arrays = [], [], []
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            tables.append((path, value))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            arrays.append((path, value))
        else:
            scalars.append(f"{key} = {toml_value(value)}")
    out = "\n".join(scalars) + ("\n" if scalars else "")
    for path, value in tables:
        out += f"\n[{path}]\n" + to_toml(value, path)
    for path, items in arrays:
        for item in items:
            out += f"\n[[{path}]]\n" + to_toml(item, path)
    return out


def merge(base, overrides):
    """`base` updated with `overrides`, recursively for nested dicts."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


_LOG_PAIR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')


def parse_log_line(line):
    """The key=value pairs of one mxrelay log line ("TIMESTAMP mxrelay[PID]: event=..."),
    with quoted values unescaped; {} for lines without an event."""
    start = line.find("event=")
    if start < 0:
        return {}
    fields = {}
    for key, value in _LOG_PAIR.findall(line[start:]):
        if value.startswith('"'):
            value = re.sub(
                r"\\x([0-9a-fA-F]{2})|\\(.)",
                lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2),
                value[1:-1],
            )
        fields[key] = value
    return fields


def parse_metrics(text):
    """Prometheus text exposition -> {family name: value summed over label sets}."""
    values = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = re.match(r"([a-zA-Z_:][\w:]*)(\{.*\})?\s+(\S+)", line)
        if match:
            name, value = match.group(1), float(match.group(3))
            values[name] = values.get(name, 0.0) + value
    return values


def toml_key(key):
    """A TOML key, quoted unless it is a bare key."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def transport_table(entries, table="transport"):
    """TOML text of a [transport] table: one line per domain key with an inline table,
    e.g. {"outlook.com": {"host": "olc.example"}} -> '"outlook.com" = { host = "olc.example" }'."""
    lines = [f"\n[{table}]"]
    for domain, entry in entries.items():
        fields = ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in entry.items())
        lines.append(f"{toml_key(domain)} = {{ {fields} }}" if fields else f"{toml_key(domain)} = {{}}")
    return "\n".join(lines) + "\n"



def peer_site_toml(max_connections, max_messages_per_connection, suspend_for,
                   rate_per_minute=0, extra_rules=""):
    """TOML text of the [[shaping]] site "peer" of the shaping tests (MX hosts under
    .peer.shaping.example): its limits, and a 4.7.650 reply suspends it for `suspend_for`;
    `extra_rules` are further [[shaping.on_reply]] tables."""
    return f"""
[[shaping]]
site = "peer"
mx_suffixes = [".peer.shaping.example"]
max_connections = {max_connections}
max_messages_per_connection = {max_messages_per_connection}
max_messages_per_minute = {rate_per_minute}
[[shaping.on_reply]]
code = "4.7.650"
action = "suspend"
duration = "{suspend_for}"
""" + extra_rules


_METRIC_SAMPLE = re.compile(r"([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)")
_METRIC_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse_metric_samples(text):
    """Prometheus text exposition -> {(name, ((label, value), ...) sorted by label): value}."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _METRIC_SAMPLE.match(line)
        if match:
            labels = tuple(sorted(_METRIC_LABEL.findall(match.group(2) or "")))
            samples[(match.group(1), labels)] = float(match.group(3))
    return samples


class Mxrelay(Fixture):
    """`mxrelay serve -c FILE` with a config written from defaults for this test's address
    block merged with `overrides` (nested dicts, as in the TOML). Its stderr is the log."""

    name = "mxrelay"

    def __init__(self, workdir, block, overrides=None, extra_toml=""):
        self.dir = Path(workdir) / "mxrelay"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.address = block.host(1)
        self.port = free_port(self.address)
        self.metrics_port = free_port(self.address)
        defaults = {
            "server": {
                "listen": [f"{self.address}:{self.port}"],
                "hostname": "relay.mxrelay.example",
                "relay_networks": ["127.0.0.0/8"],
            },
            "queue": {"dir": str(self.dir / "spool"), "retry_intervals": ["1s"]},
            "dns": {"forwarders": [], "dnssec": False, "query_timeout": "2s"},
            "delivery": {"port": 25},
            "metrics": {"listen": f"{self.address}:{self.metrics_port}"},
        }
        self.config = merge(defaults, overrides or {})
        self.config_path = self.dir / "mxrelay.toml"
        self.write_config(extra_toml)
        self.process = Process(
            self.name, [mxrelay_bin(), "serve", "-c", self.config_path], self.dir / "mxrelay.log"
        )

    @property
    def smtp_server(self):
        return self.address, self.port

    @property
    def spool_dir(self):
        return Path(self.config["queue"]["dir"])

    def write_config(self, extra_toml=""):
        """(Re)writes the config file: self.config as TOML, then `extra_toml` verbatim (for
        tables to_toml cannot express, such as transport_table()). A running relay sees the
        change after reload()."""
        self.config_path.write_text(to_toml(self.config) + extra_toml)

    def sighup(self):
        self.process.check_running()
        self.process.popen.send_signal(signal.SIGHUP)

    def restart(self):
        """stop() (exit 0 required), then start the same config on the same spool; the log
        file continues."""
        self.stop()
        self.start()

    def queue(self, *args, json_output=True):
        """`mxrelay queue -c FILE ARGS... [--json]` -> (parsed JSON, exit code), or the
        CompletedProcess without json_output."""
        argv = ["queue", "-c", self.config_path, *args] + (["--json"] if json_output else [])
        done = self.run_command(*argv)
        if not json_output:
            return done
        try:
            return json.loads(done.stdout), done.returncode
        except json.JSONDecodeError as error:
            raise AssertionError(
                f"mxrelay queue {' '.join(map(str, args))} --json printed no JSON ({error}), "
                f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
            ) from None

    def queue_entries(self):
        """The entries of `mxrelay queue list --json` (AssertionError if the command fails)."""
        listing, code = self.queue("list")
        if code != 0 or not listing.get("ok"):
            raise AssertionError(f"mxrelay queue list failed (exit {code}): {listing}")
        return listing["entries"]

    def queue_entry(self, queue_id):
        """The list entry of `queue_id`, or None when it is not queued."""
        return next((e for e in self.queue_entries() if e["id"] == queue_id), None)

    def start(self):
        self.process.start()

        def ready():
            self.process.check_running()
            return port_accepts(self.address, self.port)

        wait_until(ready, START_TIMEOUT, f"mxrelay to accept on {self.address}:{self.port}")

    def stop(self, timeout=10.0):
        """SIGTERM; the relay must exit 0 within `timeout` (AssertionError otherwise)."""
        if not self.process.running:
            return
        code, in_time = self.process.terminate(timeout)
        if not in_time:
            raise AssertionError(f"mxrelay did not stop within {timeout:g}s of SIGTERM")
        if code != 0:
            raise AssertionError(f"mxrelay exited with status {code} after SIGTERM")

    def kill(self):
        self.process.kill()

    def logs(self):
        return [self.config_path, self.process.log_path]

    def log_events(self, pattern=None, **fields):
        """Parsed log lines whose raw text matches regex `pattern` (if given) and whose
        fields equal `fields` (event="delivery", status="sent", ...)."""
        try:
            text = self.process.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return []
        complete = text[: text.rfind("\n") + 1]
        matches = []
        for line in complete.splitlines():
            parsed = parse_log_line(line)
            if not parsed or (pattern and not re.search(pattern, line)):
                continue
            if all(parsed.get(k) == v for k, v in fields.items()):
                parsed["_line"] = line
                matches.append(parsed)
        return matches

    def wait_for_logs(self, count, pattern=None, timeout=20.0, **fields):
        """Blocks until at least `count` log lines match (see log_events); returns them.
        Fails at once if the relay exits."""

        def enough():
            matches = self.log_events(pattern, **fields)
            if len(matches) >= count:
                return matches
            self.process.check_running()
            return None

        what = f"{count} log line(s) matching {pattern or ''} {fields}"
        return wait_until(enough, timeout, what)

    def wait_for_log(self, pattern=None, timeout=20.0, **fields):
        return self.wait_for_logs(1, pattern, timeout, **fields)[0]

    def metrics(self):
        return parse_metrics(self.metrics_text())

    def metrics_text(self):
        """The raw text of one /metrics scrape."""
        url = f"http://{self.address}:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()

    def metric(self, name, **labels):
        """The value of the sample `name` with exactly these labels; 0.0 when absent."""
        key = (name, tuple(sorted(labels.items())))
        return parse_metric_samples(self.metrics_text()).get(key, 0.0)

    def wait_for_sample(self, name, value, timeout=10.0, **labels):
        """Blocks until the sample `name` with exactly these labels equals `value`."""
        return wait_until(
            lambda: self.metric(name, **labels) == value,
            timeout,
            f"metric {name}{labels} == {value}",
        )

    def count_log(self, text):
        """How many times `text` occurs in the log (cheap enough for thousands of lines)."""
        try:
            return self.process.log_path.read_bytes().count(text.encode())
        except FileNotFoundError:
            return 0

    def wait_for_metric(self, name, value, timeout=10.0):
        """Blocks until metric family `name` (summed over labels) equals `value`."""
        return wait_until(
            lambda: self.metrics().get(name) == value, timeout, f"metric {name} == {value}"
        )

    def run_command(self, *args, timeout=30.0):
        """`mxrelay ARGS...` -> CompletedProcess (text stdout/stderr)."""
        return subprocess.run(
            [mxrelay_bin(), *map(str, args)], capture_output=True, text=True, timeout=timeout
        )

    def route(self, domain, json_output=True):
        """`mxrelay route -c FILE DOMAIN [--json]` -> (parsed JSON or stdout text, exit code)."""
        args = ["route", "-c", self.config_path, domain] + (["--json"] if json_output else [])
        done = self.run_command(*args)
        if not json_output:
            return done.stdout, done.returncode
        try:
            return json.loads(done.stdout), done.returncode
        except json.JSONDecodeError as error:
            raise AssertionError(
                f"mxrelay route --json printed no JSON ({error}), exit {done.returncode}\n"
                f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
            ) from None


# ---- TLS and AUTH material ------------------------------------------------------------


def self_signed_certificate(directory, name):
    """A fresh self-signed RSA certificate for `name` (openssl); returns (cert, key) paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
         "-keyout", key, "-out", cert],
        check=True, capture_output=True, timeout=60,
    )
    key.chmod(0o600)
    return cert, key


@dataclass
class CertificateAuthority:
    """A certificate authority made for one test: its certificate is what the relay gets as
    delivery.tls_ca_file."""
    cert: Path
    key: Path


def make_test_ca(directory):
    """A fresh test CA (openssl): a self-signed CA:TRUE certificate and its key."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "ca.crt", directory / "ca.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=mxrelay e2e test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign",
         "-keyout", key, "-out", cert],
        check=True, capture_output=True, timeout=60,
    )
    return CertificateAuthority(cert, key)


def ca_signed_certificate(ca, directory, name, alt_names=()):
    """A certificate for `name` (and `alt_names`) issued by `ca`; returns (cert, key)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cert, key, csr = (directory / f"{name}.{ext}" for ext in ("crt", "key", "csr"))
    extensions = directory / f"{name}.ext"
    names = ",".join(f"DNS:{n}" for n in (name, *alt_names))
    extensions.write_text(f"subjectAltName={names}\nextendedKeyUsage=serverAuth\n")
    subprocess.run(
        ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
         "-keyout", key, "-out", csr],
        check=True, capture_output=True, timeout=60,
    )
    subprocess.run(
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key,
         "-CAcreateserial", "-days", "2", "-extfile", extensions, "-out", cert],
        check=True, capture_output=True, timeout=60,
    )
    key.chmod(0o600)
    return cert, key


class HttpsServer(Fixture):
    """Python's http.server over ssl in this process on address:port with (cert, key).
    `routes` maps (Host without port, path) to (status, headers dict, body bytes); anything
    else is a 404. Records every request as (method, host, path, body, headers) in
    requests() (headers: a dict with lower-case names); change what is served with
    set_route()."""

    name = "https"

    def __init__(self, address, port, cert, key, routes=None):
        import http.server
        import ssl
        import threading

        self.address, self.port = address, port
        self._lock = threading.Lock()
        self._routes = dict(routes or {})
        self._requests = []
        server_self = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
                with server_self._lock:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    server_self._requests.append((self.command, host, self.path, body, headers))
                    route = server_self._routes.get((host, self.path))
                status, headers, payload = route or (404, {"Content-Type": "text/plain"},
                                                     b"not found\n")
                self.send_response(status)
                for field, value in headers.items():
                    self.send_header(field, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _serve
            do_POST = _serve

            def log_message(self, *args):
                pass

        self._httpd = http.server.ThreadingHTTPServer((address, port), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def set_route(self, host, path, status, headers, body):
        with self._lock:
            self._routes[(host, path)] = (status, headers, body)

    def requests(self):
        with self._lock:
            return list(self._requests)

    def start(self):
        self._thread.start()  # the socket listens since __init__

    def stop(self):
        if self._thread.is_alive():
            self._httpd.shutdown()
        self._httpd.server_close()


def write_credentials(path, user, password):
    """Adds USER with `password` (on stdin) to the credentials file with `mxrelay passwd`."""
    done = subprocess.run(
        [mxrelay_bin(), "passwd", str(path), user], input=password + "\n",
        capture_output=True, text=True, timeout=30,
    )
    if done.returncode != 0:
        raise AssertionError(f"mxrelay passwd exited {done.returncode}: {done.stderr}")
    return Path(path)


# ---- senders --------------------------------------------------------------------------


@dataclass
class SwaksResult:
    returncode: int
    transcript: str


def send_swaks(server, mail_from, rcpt_to, *, local_interface=None, extra_args=(),
               expect_success=True, timeout=30.0):
    """Sends one test message with swaks to server=(address, port); returns its exit status
    and transcript. With expect_success, a non-zero exit is an AssertionError."""
    argv = [
        "swaks",
        "--server", f"{server[0]}:{server[1]}",
        "--from", mail_from,
        "--to", rcpt_to,
        "--helo", "client.mxrelay-test.example",
        "--timeout", "15",
    ]
    if local_interface:
        argv += ["--local-interface", local_interface]
    argv += list(extra_args)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    result = SwaksResult(done.returncode, done.stdout + done.stderr)
    if expect_success and done.returncode != 0:
        raise AssertionError(f"swaks exited {done.returncode}:\n{result.transcript}")
    return result


def send_smtplib(server, mail_from, rcpt_to, *, subject="mxrelay e2e", body="Hello.\n",
                 source_address=None, timeout=15.0):
    """Sends one message with smtplib; returns sendmail()'s refused-recipients dict.
    SMTP errors propagate as smtplib exceptions."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = rcpt_to
    message["Subject"] = subject
    message.set_content(body)
    source = (source_address, 0) if source_address else None
    with smtplib.SMTP(server[0], server[1], timeout=timeout, source_address=source) as smtp:
        smtp.ehlo("client.mxrelay-test.example")
        return smtp.send_message(message, mail_from, [rcpt_to])


class RawSmtp:
    """A byte-exact SMTP client on a plain socket, for what no library sends (BDAT chunks,
    bare CR or LF, pipelined bursts). reply() returns one complete reply as (code, text)
    with the lines' texts joined by newlines."""

    def __init__(self, server, source_address=None, timeout=15.0):
        source = (source_address, 0) if source_address else None
        self.socket = socket.create_connection(server, timeout=timeout, source_address=source)
        self.buffer = b""

    def send(self, data):
        self.socket.sendall(data.encode() if isinstance(data, str) else data)

    def _line(self):
        while b"\r\n" not in self.buffer:
            chunk = self.socket.recv(65536)
            if not chunk:
                raise ConnectionError(f"connection closed; unread: {self.buffer!r}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line.decode("utf-8", errors="replace")

    def reply(self):
        texts = []
        while True:
            line = self._line()
            texts.append(line[4:])
            if len(line) < 4 or line[3] != "-":
                return int(line[:3]), "\n".join(texts)

    def command(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def close(self):
        self.socket.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---- test case base -------------------------------------------------------------------


class E2eTestCase(unittest.TestCase):
    """A test with its own address block and work directory. start(fixture) starts a peer
    and registers its stop. On failure the peers' logs are printed and the work directory
    is kept (also kept when MXRELAY_E2E_KEEP is set)."""

    def setUp(self):
        self.workdir = Path(tempfile.mkdtemp(prefix=f"mxrelay-e2e-{self._testMethodName}-"))
        self.block = AddressBlock.random()
        self.fixtures = []

    def start(self, fixture):
        self.fixtures.append(fixture)
        self.addCleanup(fixture.stop)
        fixture.start()
        return fixture

    def start_cluster_relays(self, redis, config, extra_toml, names=("a", "b")):
        """One relay per name (work directory WORKDIR/NAME) with `config` and a [cluster] of
        two on `redis`, each started once Redis answers it; returns them in order."""
        relays = []
        for name in names:
            relay_config = dict(config, cluster={"redis": redis.endpoint, "expected_nodes": 2})
            relay = self.start(Mxrelay(self.workdir / name, self.block, relay_config,
                                       extra_toml=extra_toml))
            relay.wait_for_log(event="cluster_available")
            relays.append(relay)
        return relays

    def run(self, result=None):
        result = result if result is not None else self.defaultTestResult()
        problems_before = len(result.failures) + len(result.errors)
        super().run(result)
        failed = len(result.failures) + len(result.errors) > problems_before
        self._report(failed)
        return result

    def _report(self, failed):
        workdir = getattr(self, "workdir", None)
        if workdir is None:
            return
        if failed:
            for fixture in getattr(self, "fixtures", []):
                for path in fixture.logs():
                    sys.stderr.write(f"\n----- {fixture.name}: {path} -----\n{tail(path)}\n")
            sys.stderr.write(f"\n(work directory kept: {workdir})\n")
        elif not os.environ.get("MXRELAY_E2E_KEEP"):
            shutil.rmtree(workdir, ignore_errors=True)
