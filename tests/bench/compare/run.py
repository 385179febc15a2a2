#!/usr/bin/python3
"""mxrelay vs Postfix, side by side on this machine (issue 9). One command:

    /usr/bin/python3 tests/bench/compare/run.py --build BUILD_DIR --rounds 3 \\
        --out tests/bench/results.md

For each routing mode (fixed next hop, MX through DNS) it starts a private Postfix and
mxrelay (both relaying to one smtp-sink), then interleaves Postfix, mxrelay, Postfix, ...
runs per message size and round; in the fixed mode it also measures acceptance latency at
fixed offered loads and counts system calls (strace) in an untimed run. Writes a markdown
report (--out) and the raw figures as JSON next to it. Run as root (cgroups, Postfix, the
private mount namespace), on an otherwise quiet machine. See tests/bench/README.md.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent / "e2e")]

from harness import AddressBlock, PostfixSmtpSink, free_port  # noqa: E402
from relays import MxrelayRelay, PostfixRelay, Unbound, start_nsd  # noqa: E402
import report  # noqa: E402
import workloads  # noqa: E402

LARGE_SIZE = 100 * 1024
WARM_UP_MESSAGES = 200


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", required=True, type=Path,
                        help="build directory with mxrelay and mxrelay_load_generator")
    parser.add_argument("--out", required=True, type=Path, help="markdown report to write")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--messages", type=int, default=5000,
                        help="messages per throughput run (sizes below 100 KiB)")
    parser.add_argument("--large-messages", type=int, default=2000,
                        help="messages per throughput run of 100 KiB and more")
    parser.add_argument("--sizes", default="1024,4096,102400",
                        help="message sizes in bytes, comma-separated")
    parser.add_argument("--modes", default="fixed,mx", help="routing modes: fixed, mx")
    parser.add_argument("--sessions", type=int, default=50, help="smtp-source sessions")
    parser.add_argument("--concurrency", type=int, default=20,
                        help="connections per destination, both relays")
    parser.add_argument("--loads", default="200,500,1000",
                        help="offered loads (messages/s) for acceptance latency; '' skips")
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument("--strace-messages", type=int, default=1000,
                        help="messages in the untimed strace run; 0 skips it")
    parser.add_argument("--relays", default="postfix,mxrelay",
                        help="which relays to run (both for a comparison)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--dkim", default="",
                        help="mxrelay signs every message with these keys: rsa, ed25519, or "
                             "rsa,ed25519 (default: no signing)")
    return parser.parse_args()


def log(text):
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


class Bench:
    def __init__(self, args, workdir):
        self.args = args
        self.workdir = workdir
        self.block = AddressBlock.random()
        self.generator = args.build / "tests/bench/compare/mxrelay_load_generator"
        self.mxrelay_bin = args.build / "mxrelay"
        self.relay_names = args.relays.split(",")
        self.results = {}
        self.latencies = {}
        self.syscalls = {}
        self.spool_syncs = None
        sink_address = self.block.host(3)
        self.sink = PostfixSmtpSink(workdir, "sink", sink_address, free_port(sink_address))
        self.counter = workloads.SinkCounter(self.sink)
        self.peers = [self.sink]

    def start_peers(self):
        self.sink.start()
        if "mx" in self.args.modes.split(","):
            self.nsd = start_nsd(self.workdir, self.block.host(4), self.sink.address)
            self.peers.append(self.nsd)
            self.unbound = Unbound(self.workdir, self.block.host(5), self.nsd)
            self.peers.append(self.unbound)
            self.unbound.start()

    def relays(self, mode):
        made = {}
        if "postfix" in self.relay_names:
            made["postfix"] = PostfixRelay(
                self.workdir, self.block.host(2), mode, self.sink, self.args.concurrency,
                self.block.host(5))
        if "mxrelay" in self.relay_names:
            made["mxrelay"] = MxrelayRelay(
                self.workdir, self.block, mode, self.sink, self.args.concurrency,
                getattr(self, "nsd", None),
                dkim=self.args.dkim.split(",") if self.args.dkim else None)
        return made

    def run_mode(self, mode):
        relays = self.relays(mode)
        try:
            for relay in relays.values():
                relay.start()
                workloads.throughput(relay, self.counter, WARM_UP_MESSAGES, 4096,
                                     self.args.sessions, 120)
            self.measure_throughput(mode, relays)
            if mode == "fixed":
                self.measure_latency(relays)
                self.measure_syscalls(relays)
        finally:
            for relay in relays.values():
                relay.stop()

    def measure_throughput(self, mode, relays):
        sizes = [int(s) for s in self.args.sizes.split(",")]
        by_size = self.results.setdefault(mode, {size: {r: [] for r in relays} for size in sizes})
        mxrelay = relays.get("mxrelay")
        syncs_before = mxrelay.metric("mxrelay_spool_syncs_total") if mxrelay else 0
        relayed = 0
        for round_number in range(1, self.args.rounds + 1):
            for size in sizes:
                count = self.args.large_messages if size >= LARGE_SIZE else self.args.messages
                for name, relay in relays.items():
                    figures = workloads.throughput(relay, self.counter, count, size,
                                                   self.args.sessions, 600)
                    by_size[size][name].append(figures)
                    relayed += count if name == "mxrelay" else 0
                    log(f"{mode} round {round_number} {size} B {name}: "
                        f"{figures['rate']:.0f} msg/s, {figures['cpu_ms_per_message']:.3f} "
                        f"CPU ms/msg (sys {100 * figures['system_share']:.0f}%), "
                        f"{figures['peak_pss_mib']:.1f} MiB")
        if mxrelay and mode == "fixed":
            syncs = mxrelay.metric("mxrelay_spool_syncs_total") - syncs_before
            self.spool_syncs = syncs / relayed

    def measure_latency(self, relays):
        loads = [int(load) for load in self.args.loads.split(",") if load]
        for round_number in range(1, self.args.rounds + 1):
            for load in loads:
                for name, relay in relays.items():
                    result = workloads.latency(relay, self.counter, self.generator, load,
                                               self.args.latency_seconds, self.args.sessions, 4096)
                    self.latencies.setdefault(load, {}).setdefault(name, []).append(result)
                    ms = result["latency_ms"]
                    log(f"latency round {round_number} {load}/s {name}: accepted "
                        f"{result['accepted_rate']:.0f}/s p50 {ms['p50']:.2f} p99 {ms['p99']:.2f} "
                        f"p99.9 {ms['p99.9']:.2f} ms, failed {result['failed']}")

    def measure_syscalls(self, relays):
        count = self.args.strace_messages
        if not count:
            return
        for name, relay in relays.items():
            calls = workloads.syscalls(relay, self.counter, count, 4096, self.args.sessions,
                                       self.workdir / f"strace-{name}.txt")
            self.syscalls[name] = (count, calls)
            log(f"strace {name}: {calls.get('total', 0) / count:.0f} system calls/msg")

    def stop_peers(self):
        for peer in reversed(self.peers):
            peer.stop()


def main():
    args = parse_args()
    for tool in ("postfix", "smtp-source", "smtp-sink", "nsd", "unbound", "strace", "unshare"):
        if not shutil.which(tool):
            sys.exit(f"run.py: {tool} is not installed (packaging/install-deps.sh)")
    workdir = Path(tempfile.mkdtemp(prefix="mxrelay-bench-", dir="/var/tmp"))
    workdir.chmod(0o755)  # Postfix's daemons run as user postfix inside it
    os.environ["MXRELAY_BIN"] = str(args.build.resolve() / "mxrelay")
    bench = Bench(args, workdir)
    started = time.monotonic()
    log(f"work folder {workdir}, addresses {bench.block.host(0)}/24")
    try:
        bench.start_peers()
        for mode in args.modes.split(","):
            bench.run_mode(mode)
        elapsed = time.monotonic() - started
        text = report.render(args, workdir, bench.results, bench.latencies, bench.syscalls,
                             bench.spool_syncs, elapsed)
    finally:
        bench.stop_peers()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    args.out.write_text(text)
    raw = {"results": bench.results, "latencies": bench.latencies,
           "syscalls": bench.syscalls, "spool_syncs_per_message": bench.spool_syncs}
    args.out.with_suffix(".json").write_text(json.dumps(raw, indent=1))
    log(f"wrote {args.out} ({elapsed / 60:.1f} min)")
    print(text)


if __name__ == "__main__":
    main()
