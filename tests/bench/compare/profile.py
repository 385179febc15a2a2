#!/usr/bin/python3
"""Profiles mxrelay under the benchmark's fixed-next-hop workload (smtp-source -s 50 -d →
mxrelay → smtp-sink), to find where the time goes:

    /usr/bin/python3 tests/bench/compare/profile.py --build BUILD_DIR [--messages 500] [--size 4096]

1. A plain run (messages/s, CPU per message and its kernel share), then strace -c -f on
   every mxrelay thread: system calls per message.
2. valgrind --tool=callgrind (instruction counts, repeatable): the top functions by
   inclusive cost per message, from callgrind_annotate --inclusive=yes.
Keeps the work folder (strace table, callgrind.out) and prints its path.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent / "e2e")]

from harness import AddressBlock, PostfixSmtpSink, free_port  # noqa: E402
from relays import MxrelayRelay  # noqa: E402
import workloads  # noqa: E402

SESSIONS = 50
CONCURRENCY = 20


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", required=True, type=Path)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--top", type=int, default=25, help="functions to list")
    return parser.parse_args()


def syscalls_per_message(workdir, block, sink, counter, args):
    relay = MxrelayRelay(workdir / "strace", block, "fixed", sink, CONCURRENCY)
    relay.start()
    try:
        workloads.throughput(relay, counter, 200, args.size, SESSIONS, 120)
        plain = workloads.throughput(relay, counter, args.messages, args.size, SESSIONS, 300)
        calls = workloads.syscalls(relay, counter, args.messages, args.size, SESSIONS,
                                   workdir / "strace.txt")
    finally:
        relay.stop()
    print(f"## Without strace: {plain['rate']:.0f} msg/s, {plain['cpu_ms_per_message']:.3f} CPU "
          f"ms/msg, {100 * plain['system_share']:.0f}% of it in the kernel")
    print(f"## System calls per message ({args.messages} messages of {args.size} B)")
    for name, count in sorted(calls.items(), key=lambda item: -item[1])[:20]:
        print(f"{count / args.messages:8.2f}  {name}")


def callgrind(workdir, block, sink, counter, args):
    output = workdir / "callgrind.out"
    launcher = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={output}"]
    relay = MxrelayRelay(workdir / "callgrind", block, "fixed", sink, CONCURRENCY, launcher=launcher)
    relay.start()
    try:
        source = workloads.smtp_source(relay, args.messages, args.size, SESSIONS)
        counter.wait_for(counter.count() + args.messages, 900, "mxrelay under callgrind")
        workloads.finish_source(source, "mxrelay under callgrind")
    finally:
        relay.stop(timeout=300)
    inclusive = annotate(output, args.messages, inclusive=True)
    print(f"\n## callgrind: instructions per message (total / {args.messages}, start-up and "
          f"shutdown included)\n### top {args.top} functions, inclusive")
    print("\n".join(inclusive[: args.top]))
    print(f"### top {args.top} mxrelay functions, inclusive")
    print("\n".join([row for row in inclusive if "mxrelay::" in row][: args.top]))
    print(f"### top {args.top} functions, exclusive (self)")
    print("\n".join(annotate(output, args.messages, inclusive=False)[: args.top]))


def annotate(output, messages, inclusive):
    """callgrind_annotate rows as "instructions/message  (share) function"."""
    annotated = subprocess.run(
        ["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}",
         "--threshold=100", str(output)],
        capture_output=True, text=True, check=True).stdout
    name = "callgrind-inclusive.txt" if inclusive else "callgrind-self.txt"
    (output.parent / name).write_text(annotated)
    rows = []
    for line in annotated.splitlines():
        count, _, rest = line.strip().partition(" ")
        if not count[:1].isdigit() or "(" not in rest:
            continue
        per_message = int(count.replace(",", "")) / messages
        rows.append(f"{per_message:10,.0f}  {rest.strip()[:160]}")
    return rows


def main():
    args = parse_args()
    os.environ["MXRELAY_BIN"] = str(args.build.resolve() / "mxrelay")
    workdir = Path(tempfile.mkdtemp(prefix="mxrelay-profile-", dir="/var/tmp"))
    block = AddressBlock.random()
    sink = PostfixSmtpSink(workdir, "sink", block.host(3), free_port(block.host(3)))
    sink.start()
    counter = workloads.SinkCounter(sink)
    try:
        syscalls_per_message(workdir, block, sink, counter, args)
        callgrind(workdir, block, sink, counter, args)
    finally:
        sink.stop()
    print(f"\nwork folder: {workdir}")


if __name__ == "__main__":
    main()
