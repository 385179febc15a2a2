#!/usr/bin/python3
"""Group-commit benchmark (not part of ctest): starts the built relay on a fresh spool with a
transport map that defers every message (so nothing is delivered and no outcome is written),
drives 1, 10 and 50 concurrent SMTP sessions with Postfix's smtp-source (4 KiB messages,
sessions reused), and prints messages accepted per second and syncs per message, from the
relay's own counters mxrelay_spool_syncs_total and mxrelay_spool_commits_total.

Usage: tests/bench/group_commit.py [BUILD_DIR] [--messages-per-level N]
BUILD_DIR defaults to /work/main/build (it must hold the `mxrelay` binary)."""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))
from harness import free_port, parse_metric_samples, port_accepts, to_toml, transport_table  # noqa: E402

ADDRESS = "127.0.0.1"
LEVELS = (1, 10, 50)
# What the spool did before group commit: one data fdatasync and one directory fsync per message.
SYNCS_PER_MESSAGE_BEFORE = 2.0


def metrics(port):
    import urllib.request

    with urllib.request.urlopen(f"http://{ADDRESS}:{port}/metrics", timeout=5) as response:
        samples = parse_metric_samples(response.read().decode())
    return {name: value for (name, labels), value in samples.items() if not labels}


def start_relay(binary, workdir):
    port, metrics_port = free_port(ADDRESS), free_port(ADDRESS)
    config = {
        "server": {
            "listen": [f"{ADDRESS}:{port}"],
            "hostname": "relay.bench.example",
            "relay_networks": ["127.0.0.0/8"],
        },
        "queue": {"dir": str(workdir / "spool"), "retry_intervals": ["1h"]},
        "dns": {"forwarders": [], "dnssec": False},
        "metrics": {"listen": f"{ADDRESS}:{metrics_port}"},
    }
    config_path = workdir / "mxrelay.toml"
    config_path.write_text(to_toml(config) + transport_table({"*": {"action": "defer"}}))
    log = open(workdir / "mxrelay.log", "wb")
    process = subprocess.Popen([binary, "serve", "-c", config_path], stderr=log, stdout=log)
    deadline = time.monotonic() + 20
    while not port_accepts(ADDRESS, port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"mxrelay did not start; see {workdir / 'mxrelay.log'}")
        time.sleep(0.05)
    return process, port, metrics_port


def run_level(port, metrics_port, sessions, messages):
    before = metrics(metrics_port)
    started = time.monotonic()
    subprocess.run(
        ["smtp-source", "-s", str(sessions), "-d", "-m", str(messages), "-l", "4096",
         "-f", "sender@client.example", "-t", "user@bench.example", f"{ADDRESS}:{port}"],
        check=True,
    )
    elapsed = time.monotonic() - started
    after = metrics(metrics_port)

    def delta(name):
        return after.get(name, 0.0) - before.get(name, 0.0)

    accepted = delta("mxrelay_messages_received_total")
    syncs, commits = delta("mxrelay_spool_syncs_total"), delta("mxrelay_spool_commits_total")
    return {
        "sessions": sessions,
        "accepted": int(accepted),
        "seconds": elapsed,
        "per_second": accepted / elapsed,
        "syncs_per_message": syncs / accepted if accepted else float("nan"),
        "messages_per_commit": accepted / commits if commits else float("nan"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", nargs="?", default="/work/main/build")
    parser.add_argument("--messages-per-level", type=int, default=2000)
    args = parser.parse_args()
    binary = Path(args.build_dir) / "mxrelay"
    if not binary.exists():
        raise SystemExit(f"{binary} not found")
    if not shutil.which("smtp-source"):
        raise SystemExit("smtp-source (Postfix) is not installed")

    workdir = Path(tempfile.mkdtemp(prefix="mxrelay-group-commit-"))
    process, port, metrics_port = start_relay(binary, workdir)
    try:
        results = [run_level(port, metrics_port, n, args.messages_per_level) for n in LEVELS]
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"{'sessions':>8} {'accepted':>8} {'msgs/s':>8} {'syncs/msg':>9} {'msgs/commit':>11}"
          f" {'syncs/msg before':>16}")
    for r in results:
        print(f"{r['sessions']:>8} {r['accepted']:>8} {r['per_second']:>8.0f} "
              f"{r['syncs_per_message']:>9.3f} {r['messages_per_commit']:>11.1f} "
              f"{SYNCS_PER_MESSAGE_BEFORE:>16.1f}")


if __name__ == "__main__":
    main()
