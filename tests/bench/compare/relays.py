"""bench/compare: the two relays under test and the DNS peers of the MX routing mode.

Both relays are pure relays to smtp-sink, durable (Postfix fsyncs each queue file by
default; mxrelay syncs its spool), without chroot, each in its own cgroup (measure.Cgroup)
with its spool/queue under the run's work folder (same file system), and with the same
per-destination connection limit.

Routing modes:
- "fixed": Postfix relayhost = [sink]:port; mxrelay transport "*" = { host = "sink:port" }.
- "mx": recipient domain sink.bench.example has MX mx.sink.bench.example -> the sink's
  address, served by NSD. mxrelay asks NSD through a [[dns.stub]] (its embedded libunbound
  caches). Postfix resolves through glibc, which reads /etc/resolv.conf and talks to port 53
  only: a private unbound (cache, stub zone -> NSD) listens on ADDR:53 and Postfix is started
  in a private mount namespace (unshare -m) where a bind mount puts a resolv.conf naming that
  unbound over /etc/resolv.conf. The host's /etc/resolv.conf is never touched, and the mount
  disappears with the namespace when Postfix exits.
"""

import shutil
import subprocess
from pathlib import Path

from harness import (
    Fixture,
    Mxrelay,
    Nsd,
    Process,
    dns_query,
    mxrelay_bin,
    parse_metric_samples,
    port_accepts,
    transport_table,
    wait_until,
)
from measure import Cgroup

SINK_DOMAIN = "sink.bench.example"
ZONE = "bench.example"
START_TIMEOUT = 30.0


def zone_text(sink_address):
    return f"""$ORIGIN {ZONE}.
$TTL 3600
@ IN SOA ns.{ZONE}. hostmaster.{ZONE}. 1 3600 600 86400 3600
@ IN NS ns.{ZONE}.
ns IN A 127.0.0.1
sink IN MX 10 mx.sink.{ZONE}.
mx.sink IN A {sink_address}
"""


def start_nsd(workdir, address, sink_address):
    nsd = Nsd(workdir, address, {ZONE: zone_text(sink_address)}, edns_size=1232)
    nsd.start()
    return nsd


class Unbound(Fixture):
    """A caching unbound on address:53 with a stub zone for bench.example -> NSD."""

    name = "unbound"

    def __init__(self, workdir, address, nsd):
        self.dir = Path(workdir) / "unbound"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.address = address
        self.nsd = nsd
        self.process = Process(
            self.name, ["unbound", "-d", "-c", self.dir / "unbound.conf"], self.dir / "unbound.log"
        )

    def _write_config(self):
        (self.dir / "unbound.conf").write_text(
            f"""server:
    interface: {self.address}
    port: 53
    do-ip6: no
    username: ""
    chroot: ""
    directory: "{self.dir}"
    pidfile: "{self.dir / 'unbound.pid'}"
    use-syslog: no
    logfile: ""
    verbosity: 0
    num-threads: 1
    do-not-query-localhost: no
    module-config: "iterator"
    access-control: 127.0.0.0/8 allow
stub-zone:
    name: "{ZONE}"
    stub-addr: {self.nsd.server()}
    stub-prime: no
remote-control:
    control-enable: no
"""
        )

    def _answers(self):
        self.process.check_running()
        try:
            reply = dns_query(self.address, 53, f"mx.{SINK_DOMAIN}", "A", timeout=0.2)
        except OSError:
            return False
        return bool(reply.rr)

    def start(self):
        self._write_config()
        self.process.start()
        wait_until(self._answers, START_TIMEOUT, "unbound to answer for the sink's MX host")

    def stop(self):
        self.process.terminate()

    def logs(self):
        return [self.process.log_path]


class PostfixRelay:
    """A private Postfix instance (config and queue under workdir/postfix-MODE)."""

    name = "postfix"

    def __init__(self, workdir, address, mode, sink, concurrency, resolver_address=None):
        self.dir = Path(workdir) / f"postfix-{mode}"
        self.address = address
        self.port = 2525
        self.mode = mode
        self.sink = sink
        self.concurrency = concurrency
        self.resolver_address = resolver_address
        self.cgroup = None

    @property
    def smtp_server(self):
        return self.address, self.port

    def _configure(self):
        queue = self.dir / "queue"
        data = self.dir / "data"
        queue.mkdir(parents=True)
        data.mkdir()
        shutil.chown(data, "postfix")
        shutil.copy("/etc/postfix/master.cf", self.dir / "master.cf")
        routing = (
            [f"relayhost = [{self.sink.address}]:{self.sink.port}"]
            if self.mode == "fixed"
            else ["relayhost =", f"smtp_tcp_port = {self.sink.port}"]
        )
        settings = [
            "compatibility_level = 3.6",
            f"queue_directory = {queue}",
            f"data_directory = {data}",
            "myhostname = relay.postfix.bench.example",
            # Only the loopback 127.0.0.1 is an interface address; the SMTP service below
            # listens on its own 127.x address.
            "inet_interfaces = 127.0.0.1",
            "inet_protocols = ipv4",
            "mydestination =",
            "local_recipient_maps =",
            "local_transport = error:local delivery disabled",
            "alias_maps =",
            "alias_database =",
            "mynetworks = 127.0.0.0/8",
            "relay_domains =",
            *routing,
            f"default_destination_concurrency_limit = {self.concurrency}",
            f"smtp_destination_concurrency_limit = {self.concurrency}",
            "smtp_connection_cache_on_demand = yes",
            "smtpd_client_connection_count_limit = 0",
            "default_process_limit = 200",
            f"maillog_file = {self.dir / 'maillog'}",
            f"maillog_file_prefixes = {self.dir}",
        ]
        (self.dir / "main.cf").write_text("\n".join(settings) + "\n")
        postconf = ["postconf", "-c", str(self.dir)]
        subprocess.run([*postconf, "-F", "*/*/chroot = n"], check=True)
        subprocess.run([*postconf, "-MX", "smtp/inet"], check=True)
        service = f"{self.address}:{self.port}"
        subprocess.run([*postconf, "-M", f"{service}/inet = {service} inet n - n - - smtpd"],
                       check=True)

    def _start_argv(self):
        start = ["postfix", "-c", str(self.dir), "start"]
        if self.mode == "fixed":
            return start
        resolv = self.dir / "resolv.conf"
        resolv.write_text(f"nameserver {self.resolver_address}\noptions attempts:2 timeout:2\n")
        script = f'mount --bind "{resolv}" /etc/resolv.conf && exec "$@"'
        return ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", *start]

    def start(self):
        self._configure()
        self.cgroup = Cgroup(f"postfix-{self.mode}")
        done = subprocess.run(self.cgroup.wrap(self._start_argv()), capture_output=True, text=True)
        if done.returncode != 0 or "fatal" in done.stderr:
            raise RuntimeError(f"postfix start failed:\n{done.stderr}\n{self.log_tail()}")
        wait_until(lambda: port_accepts(self.address, self.port), START_TIMEOUT,
                   "Postfix to accept connections")

    def stop(self):
        if self.cgroup is None:
            return
        subprocess.run(["postfix", "-c", str(self.dir), "stop"], capture_output=True)
        wait_until(lambda: not self.cgroup.pids(), START_TIMEOUT, "Postfix to exit")
        self.cgroup.remove()
        self.cgroup = None

    def log_tail(self, lines=30):
        log = self.dir / "maillog"
        if not log.exists():
            return ""
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def dkim_entries(directory, algorithms):
    """[[dkim]] entries signing the load generator's mail (its From: is in
    source.bench.example) with a new key per algorithm ("rsa", "ed25519")."""
    directory.mkdir(parents=True, exist_ok=True)
    text = ""
    for algorithm in algorithms:
        key = directory / f"{algorithm}.pem"
        if not key.exists():
            extra = ["--ed25519"] if algorithm == "ed25519" else []
            subprocess.run([mxrelay_bin(), "dkim", "keygen", "source.bench.example", algorithm,
                            "--out", key, *extra], check=True, capture_output=True)
        text += (f'\n[[dkim]]\ndomain = "source.bench.example"\nselector = "{algorithm}"\n'
                 f'key_file = "{key}"\n')
    return text


class MxrelayRelay:
    """mxrelay (the harness's Mxrelay fixture) started inside its own cgroup, optionally
    under a `launcher` command prefix (e.g. valgrind)."""

    name = "mxrelay"

    def __init__(self, workdir, block, mode, sink, concurrency, nsd=None, launcher=(), dkim=None):
        self.mode = mode
        self.launcher = list(launcher)
        overrides = {
            "server": {"max_connections": 1000, "max_connections_per_client": 1000},
            "queue": {"retry_intervals": ["10s"]},
            "delivery": {
                "port": sink.port,
                "max_connections_per_destination": concurrency,
                "max_connections": max(2 * concurrency, 20),
            },
        }
        extra = ""
        if mode == "fixed":
            extra = transport_table({"*": {"host": f"{sink.address}:{sink.port}"}})
        else:
            overrides["dns"] = {"stub": nsd.stubs()}
        if dkim:
            extra += dkim_entries(Path(workdir) / f"dkim-{mode}", dkim)
        self.fixture = Mxrelay(Path(workdir) / f"mxrelay-{mode}", block, overrides, extra)
        self.cgroup = None

    @property
    def smtp_server(self):
        return self.fixture.smtp_server

    @property
    def pid(self):
        return self.fixture.process.popen.pid

    def metric(self, name):
        """Sum of all samples of metric `name` (0 when absent)."""
        samples = parse_metric_samples(self.fixture.metrics_text())
        return sum(value for (sample, _), value in samples.items() if sample == name)

    def start(self):
        self.cgroup = Cgroup(f"mxrelay-{self.mode}")
        self.fixture.process.argv = self.cgroup.wrap(self.launcher + self.fixture.process.argv)
        self.fixture.start()

    def stop(self, timeout=10.0):
        if self.cgroup is None:
            return
        self.fixture.stop(timeout)
        self.cgroup.remove()
        self.cgroup = None
