"""bench/compare: one measured run of a relay, for each kind of figure.

throughput(): smtp-source (S sessions, connection reuse -d) sends M messages of SIZE bytes
to the relay; the clock runs from smtp-source's start until smtp-sink has counted all M
messages. CPU is the relay cgroup's usage over the run (plus a short settle so the relay's
post-delivery work is included); memory is the sampled peak PSS.
latency(): mxrelay_load_generator offers a fixed rate (open loop) and reports acceptance
latency percentiles; then waits until the sink has everything, so runs do not overlap.
syscalls(): the throughput workload under strace -c -f (untimed).
"""

import json
import subprocess
import time
from pathlib import Path

from measure import MemorySampler, SyscallCount
from relays import SINK_DOMAIN

SENDER = "load@source.bench.example"
RECIPIENT = f"rcpt@{SINK_DOMAIN}"
SETTLE_SECONDS = 0.5


class SinkCounter:
    """Reads smtp-sink -c's running "mesg=N" counter from the tail of its output."""

    def __init__(self, sink):
        self.path = Path(sink.process.log_path)
        self.process = sink.process

    def count(self):
        with open(self.path, "rb") as log:
            log.seek(0, 2)
            log.seek(max(0, log.tell() - 512))
            tail = log.read().replace(b"\r", b"\n").split(b"\n")
        for line in reversed(tail):
            fields = dict(f.split(b"=", 1) for f in line.split() if b"=" in f)
            if b"mesg" in fields:
                return int(fields[b"mesg"])
        return 0

    def wait_for(self, total, timeout, what):
        deadline = time.monotonic() + timeout
        while (seen := self.count()) < total:
            self.process.check_running()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: the sink has {seen} of {total} messages")
            time.sleep(0.01)


def smtp_source(relay, count, size, sessions):
    host, port = relay.smtp_server
    argv = ["smtp-source", "-s", str(sessions), "-d", "-m", str(count), "-l", str(size),
            "-f", SENDER, "-t", RECIPIENT, f"{host}:{port}"]
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def finish_source(source, what):
    _, stderr = source.communicate(timeout=60)
    if source.returncode != 0:
        raise RuntimeError(f"{what}: smtp-source exited {source.returncode}: {stderr.decode()}")


def throughput(relay, counter, count, size, sessions, timeout):
    what = f"{relay.name} {relay.mode} {size} B"
    base = counter.count()
    cpu_before = relay.cgroup.cpu_seconds()
    memory = MemorySampler(relay.cgroup).start()
    started = time.monotonic()
    source = smtp_source(relay, count, size, sessions)
    counter.wait_for(base + count, timeout, what)
    elapsed = time.monotonic() - started
    finish_source(source, what)
    time.sleep(SETTLE_SECONDS)
    cpu_after = relay.cgroup.cpu_seconds()
    cpu = {key: cpu_after[key] - cpu_before[key] for key in cpu_after}
    return {
        "rate": count / elapsed,
        "cpu_ms_per_message": 1000 * cpu["usage"] / count,
        "system_share": cpu["system"] / cpu["usage"] if cpu["usage"] else 0.0,
        "peak_pss_mib": memory.stop() / 2**20,
    }


def latency(relay, counter, generator, rate, seconds, connections, size):
    what = f"{relay.name} latency at {rate}/s"
    base = counter.count()
    host, port = relay.smtp_server
    argv = [generator, "--server", f"{host}:{port}", "--rate", str(rate),
            "--messages", str(int(rate * seconds)), "--connections", str(connections),
            "--size", str(size), "--from", SENDER, "--to", RECIPIENT, "--drain-timeout", "60"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120)
    if not done.stdout.strip():
        raise RuntimeError(f"{what}: load generator exited {done.returncode}: {done.stderr}")
    result = json.loads(done.stdout)
    counter.wait_for(base + result["accepted"], 300, what)
    return result


def syscalls(relay, counter, count, size, sessions, output):
    what = f"{relay.name} {relay.mode} under strace"
    base = counter.count()
    trace = SyscallCount(relay.cgroup, output).start()
    source = smtp_source(relay, count, size, sessions)
    counter.wait_for(base + count, 600, what)
    finish_source(source, what)
    time.sleep(SETTLE_SECONDS)
    return trace.stop()
