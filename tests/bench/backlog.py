#!/usr/bin/python3
"""Large-backlog benchmark (not part of ctest): fills a spool with N queued messages (1 KiB
bodies; default 1,000,000) with mxrelay_spool_fill, starts the relay on it and measures
  - the time from start to the first 250 for a new message,
  - the time until the whole backlog is loaded (log line "recovered"),
  - RSS after loading (VmRSS, VmHWM) and RAM per queued message, against an empty spool.
The backlog's domain is routed to `defer` (every attempt ends 4xx, nothing is sent), or
with --held every message carries its hold marker. With --drain the relay is then restarted
with every domain routed to Postfix's smtp-sink, which accepts all, and the time until the
queue is empty gives the drain rate. The spool lives under WORKDIR, which is removed
afterwards.

Usage: tests/bench/backlog.py [BUILD_DIR] [--messages N] [--held | --drain] [--workdir DIR]"""

import argparse
import shutil
import smtplib
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))
from harness import free_port, parse_log_line, port_accepts, to_toml, transport_table  # noqa: E402

ADDRESS = "127.0.0.1"
BODY_BYTES = 1024
BYTES_PER_MESSAGE_ON_DISK = 4096  # one block per record on ext4


class Relay:
    def __init__(self, binary, workdir, route=None):
        self.binary, self.workdir = binary, workdir
        self.port, self.metrics_port = free_port(ADDRESS), free_port(ADDRESS)
        self.log_path = workdir / "mxrelay.log"
        config = {
            "server": {
                "listen": [f"{ADDRESS}:{self.port}"],
                "hostname": "relay.bench.example",
                "relay_networks": ["127.0.0.0/8"],
            },
            "queue": {"dir": str(workdir / "spool"), "retry_intervals": ["1h"]},
            "dns": {"forwarders": [], "dnssec": False},
            "metrics": {"listen": f"{ADDRESS}:{self.metrics_port}"},
        }
        self.config_path = workdir / "mxrelay.toml"
        self.config_path.write_text(to_toml(config) + transport_table({"*": route or {"action": "defer"}}))

    def start(self):
        self.log_path.write_bytes(b"")
        self.log = open(self.log_path, "ab")
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [self.binary, "serve", "-c", self.config_path], stdout=self.log, stderr=self.log
        )

    def first_acceptance(self, timeout=120.0):
        """Seconds from start until a new message got 250."""
        deadline = self.started + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"mxrelay exited; see {self.log_path}")
            if port_accepts(ADDRESS, self.port):
                try:
                    with smtplib.SMTP(ADDRESS, self.port, timeout=30) as smtp:
                        smtp.sendmail("a@client.example", ["new@fresh.example"],
                                      b"Subject: new\r\n\r\nnew mail while loading\r\n")
                    return time.monotonic() - self.started
                except (smtplib.SMTPException, OSError):
                    pass
            time.sleep(0.01)
        raise SystemExit("no 250 within the timeout")

    def wait_for_event(self, event, timeout=3600.0):
        """(seconds since start, parsed line) of the first log line with this event; reads
        the log incrementally (a deferred backlog logs one line per attempt)."""
        deadline = time.monotonic() + timeout
        with open(self.log_path, "rb") as log:
            pending = b""
            while time.monotonic() < deadline:
                pending += log.read()
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    parsed = parse_log_line(line.decode(errors="replace"))
                    if parsed.get("event") == event:
                        return time.monotonic() - self.started, parsed
                if self.process.poll() is not None:
                    raise SystemExit(f"mxrelay exited; see {self.log_path}")
                time.sleep(0.1)
        raise SystemExit(f"no {event} log line within {timeout} s")

    def queue_size(self):
        url = f"http://{ADDRESS}:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            for line in response.read().decode().splitlines():
                if line.startswith("mxrelay_queue_messages "):
                    return float(line.split()[1])
        raise SystemExit("no mxrelay_queue_messages in /metrics")

    def wait_until_empty(self, timeout=3600.0):
        """Seconds from start until the loaded backlog has left the queue."""
        self.wait_for_event("recovered", timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.queue_size() == 0:
                return time.monotonic() - self.started
            if self.process.poll() is not None:
                raise SystemExit(f"mxrelay exited; see {self.log_path}")
            time.sleep(0.2)
        raise SystemExit(f"the queue did not drain within {timeout} s")

    def memory_kib(self):
        fields = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0])
        return fields

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)
        self.log.close()


def check_disk(workdir, messages):
    needed = messages * BYTES_PER_MESSAGE_ON_DISK * 1.3
    free = shutil.disk_usage(workdir).free
    if free < needed:
        raise SystemExit(f"{free / 1e9:.1f} GB free under {workdir}; need about {needed / 1e9:.1f} GB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", nargs="?", default="/work/main/build")
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--held", action="store_true")
    parser.add_argument("--drain", action="store_true")
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    build = Path(args.build_dir)
    binary, fill = build / "mxrelay", build / "tests" / "bench" / "backlog" / "mxrelay_spool_fill"
    for path in (binary, fill):
        if not path.exists():
            raise SystemExit(f"{path} not found (build targets mxrelay and mxrelay_spool_fill)")
    workdir = Path(args.workdir or build / "backlog-bench")
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        check_disk(workdir, args.messages)
        relay = Relay(binary, workdir)

        relay.start()
        relay.wait_for_event("recovered")
        time.sleep(1)
        empty = relay.memory_kib()
        relay.stop()
        shutil.rmtree(workdir / "spool", ignore_errors=True)

        filled = time.monotonic()
        command = [fill, workdir / "spool", str(args.messages), str(BODY_BYTES), "backlog.example"]
        subprocess.run(command + (["--held"] if args.held else []), check=True)
        fill_seconds = time.monotonic() - filled
        subprocess.run(["sync"], check=True)

        relay.start()
        first_250 = relay.first_acceptance()
        loaded_after, recovered = relay.wait_for_event("recovered")
        time.sleep(2)
        loaded = relay.memory_kib()
        relay.stop()

        drain_seconds = None
        if args.drain:
            sink_port = free_port(ADDRESS)
            sink = subprocess.Popen(["smtp-sink", "-u", "nobody", f"{ADDRESS}:{sink_port}", "1000"])
            try:
                drainer = Relay(binary, workdir, {"host": f"{ADDRESS}:{sink_port}"})
                drainer.start()
                drain_seconds = drainer.wait_until_empty()
                drainer.stop()
            finally:
                sink.terminate()
                sink.wait(timeout=30)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    n = args.messages
    per_message = (loaded["VmRSS"] - empty["VmRSS"]) * 1024 / n
    print(f"backlog: {n} messages ({'held' if args.held else 'deferred'}), {BODY_BYTES}-byte bodies,"
          f" filled in {fill_seconds:.0f} s")
    print(f"first 250 after start:        {first_250:.2f} s")
    print(f"backlog loaded ('recovered'):  {loaded_after:.1f} s ({recovered.get('messages')} messages)")
    print(f"RSS empty spool:              {empty['VmRSS'] / 1024:.1f} MiB (HWM {empty['VmHWM'] / 1024:.1f})")
    print(f"RSS after loading:            {loaded['VmRSS'] / 1024:.1f} MiB (HWM {loaded['VmHWM'] / 1024:.1f})")
    print(f"RAM per queued message:       {per_message:.0f} bytes")
    if drain_seconds:
        print(f"drained after restart:        {drain_seconds:.1f} s ({n / drain_seconds:.0f} messages/s,"
              " loading included)")


if __name__ == "__main__":
    main()
