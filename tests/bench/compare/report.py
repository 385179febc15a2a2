"""bench/compare: the markdown report (tables with both relays and mxrelay/Postfix ratios,
date and machine) from the collected results."""

import datetime
import os
import platform
import statistics
import subprocess
from pathlib import Path

from measure import FSYNC_FAMILY

RELAYS = ("postfix", "mxrelay")


def machine(workdir):
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor() or "unknown",
    )
    fs = subprocess.run(["df", "--output=source,fstype", str(workdir)], capture_output=True,
                        text=True).stdout.splitlines()[-1].split()
    device = Path(fs[0]).name
    rotational = Path(f"/sys/block/{device}/queue/rotational")
    kind = f"rotational={rotational.read_text().strip() if rotational.exists() else '?'}"
    memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    return (f"{os.cpu_count()} CPUs ({model}), {memory} MiB RAM, kernel {platform.release()}, "
            f"spool on {fs[0]} ({fs[1]}, {kind})")


def spread(values, digits):
    """median (min–max)"""
    fmt = f"{{:.{digits}f}}"
    median = statistics.median(values)
    if len(values) == 1:
        return fmt.format(median)
    return f"{fmt.format(median)} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def ratio(mxrelay, postfix):
    return f"{mxrelay / postfix:.2f}×" if postfix else "n/a"


def size_label(size):
    return f"{size // 1024} KiB" if size % 1024 == 0 else f"{size} B"


def throughput_tables(results):
    lines = [
        "### End-to-end throughput and cost",
        "",
        "| routing | size | Postfix msg/s | mxrelay msg/s | ratio | Postfix CPU ms/msg "
        "| mxrelay CPU ms/msg | ratio | Postfix peak PSS MiB | mxrelay peak PSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for mode, sizes in results.items():
        for size, runs in sizes.items():
            empty = {"rate": 0, "cpu_ms_per_message": 0, "system_share": 0, "peak_pss_mib": 0}
            runs = {r: runs.get(r) or [empty] for r in RELAYS}
            med = {r: {k: statistics.median(run[k] for run in runs[r]) for k in runs[r][0]}
                   for r in RELAYS}
            cells = [mode, size_label(size)]
            cells += [spread([run["rate"] for run in runs[r]], 0) for r in RELAYS]
            cells.append(ratio(med["mxrelay"]["rate"], med["postfix"]["rate"]))
            cells += [spread([run["cpu_ms_per_message"] for run in runs[r]], 3)
                      + f"; sys {100 * med[r]['system_share']:.0f}%" for r in RELAYS]
            cells.append(ratio(med["mxrelay"]["cpu_ms_per_message"],
                               med["postfix"]["cpu_ms_per_message"]))
            cells += [f"{max(run['peak_pss_mib'] for run in runs[r]):.1f}" for r in RELAYS]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def latency_table(latencies):
    lines = [
        "### Acceptance latency (open loop, fixed next hop)",
        "",
        "| offered msg/s | relay | accepted msg/s | p50 ms | p99 ms | p99.9 ms | max ms "
        "| failed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for load, by_relay in latencies.items():
        for relay in (r for r in RELAYS if r in by_relay):
            runs = by_relay[relay]
            pick = lambda key: [run["latency_ms"][key] for run in runs]  # noqa: E731
            lines.append(
                f"| {load} | {relay} | {spread([r['accepted_rate'] for r in runs], 0)} | "
                f"{spread(pick('p50'), 2)} | {spread(pick('p99'), 2)} | "
                f"{spread(pick('p99.9'), 2)} | {max(pick('max')):.1f} | "
                f"{sum(r['failed'] + r['unfinished'] for r in runs)} |"
            )
    return lines


def syscall_table(syscalls, spool_syncs):
    lines = [
        "### Durability and system calls (strace -c -f, untimed run)",
        "",
        "| relay | messages | fsync-family calls/msg | system calls/msg | top calls/msg |",
        "|---|---|---|---|---|",
    ]
    for relay in RELAYS:
        if relay not in syscalls:
            continue
        count, calls = syscalls[relay]
        fsyncs = sum(calls.get(name, 0) for name in FSYNC_FAMILY)
        top = sorted((item for item in calls.items() if item[0] != "total"),
                     key=lambda item: -item[1])[:6]
        top_text = ", ".join(f"{name} {n / count:.1f}" for name, n in top)
        lines.append(f"| {relay} | {count} | {fsyncs / count:.2f} | "
                     f"{calls.get('total', 0) / count:.0f} | {top_text} |")
    if spool_syncs is not None:
        lines += ["", f"mxrelay's own counter over the timed runs: "
                      f"mxrelay_spool_syncs_total / messages = {spool_syncs:.2f}."]
    return lines


def render(args, workdir, results, latencies, syscalls, spool_syncs, elapsed):
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    lines = [
        "## mxrelay vs Postfix (tests/bench/compare/run.py)",
        "",
        f"Date: {now}. Machine: {machine(workdir)}. Postfix "
        + subprocess.run(["postconf", "-d", "-h", "mail_version"], capture_output=True,
                         text=True).stdout.strip()
        + ".",
        f"Workload: smtp-source -s {args.sessions} -d (connection reuse) → relay → smtp-sink; "
        f"{args.messages} messages per run ({args.large_messages} of 100 KiB and more); "
        f"{args.rounds} round(s) interleaved Postfix, mxrelay, ...; median (min–max). "
        f"Per-destination connections: {args.concurrency} for both. "
        f"Run time: {elapsed / 60:.1f} min.",
        "",
        *throughput_tables(results),
        "",
        "CPU: user+system seconds of every process of the relay (its cgroup's cpu.stat), per "
        "relayed message; sys: the share spent in the kernel. Peak PSS: largest sum of the relay processes' proportional set "
        "size, sampled every 0.5 s.",
        "",
    ]
    if latencies:
        lines += [*latency_table(latencies), "",
                  f"{args.latency_seconds} s per load, {args.sessions} connections, 4 KiB; a "
                  "message's latency runs from when it fell due to the 250 after its final dot.",
                  ""]
    if syscalls:
        lines += [*syscall_table(syscalls, spool_syncs), ""]
    return "\n".join(lines)
