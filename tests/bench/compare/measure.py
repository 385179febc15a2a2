"""bench/compare: how a relay's cost is measured, whatever its process structure.

Cgroup: each relay runs in its own cgroup v2 folder, so every process it ever forks (Postfix's
master, smtpd, cleanup, qmgr, trivial-rewrite, smtp... which come and go) is accounted:
cpu.stat usage_usec is the user+system CPU time of all of them, living or exited.
MemorySampler: peak of the summed PSS (proportional set size, so shared libraries and
shared memory count once across Postfix's processes) of the cgroup's processes, sampled.
SyscallCount: `strace -c -f` attached to every process (all threads) of the cgroup (and
their future children) for one untimed run: system calls and fsync-family calls per message.
"""

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path


def cgroup2_root():
    """The cgroup v2 mount: /sys/fs/cgroup itself (unified) or /sys/fs/cgroup/unified (hybrid)."""
    for line in Path("/proc/mounts").read_text().splitlines():
        fields = line.split()
        if fields[2] == "cgroup2":
            return Path(fields[1])
    raise RuntimeError("no cgroup2 file system mounted: cannot account relay CPU time")


class Cgroup:
    """A transient cgroup v2 folder; wrap() makes a command start inside it."""

    def __init__(self, name):
        self.path = cgroup2_root() / f"mxrelay-bench-{os.getpid()}-{name}"
        self.path.mkdir()

    def wrap(self, argv):
        """argv run by a shell that first moves itself into this cgroup, then execs argv."""
        return ["sh", "-c", 'echo $$ > "$0" && exec "$@"', str(self.path / "cgroup.procs"),
                *map(str, argv)]

    def pids(self):
        text = (self.path / "cgroup.procs").read_text()
        return [int(pid) for pid in text.split()]

    def cpu_seconds(self):
        """{"usage", "user", "system"}: CPU seconds of every process that ever ran in the
        cgroup (usage = user + system)."""
        stat = dict(line.split() for line in (self.path / "cpu.stat").read_text().splitlines())
        return {key: int(stat[f"{key}_usec"]) / 1e6 for key in ("usage", "user", "system")}

    def remove(self, timeout=10.0):
        """Kills what is left in the cgroup and removes the folder."""
        deadline = time.monotonic() + timeout
        while self.pids() and time.monotonic() < deadline:
            for pid in self.pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
        self.path.rmdir()


def pss_bytes(pid):
    """PSS of one process (0 if it is gone or has no memory map)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0
    match = re.search(r"^Pss:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) * 1024 if match else 0


class MemorySampler:
    """Samples the summed PSS of a cgroup's processes every `interval` seconds in a thread;
    peak_bytes is the largest sum seen between start() and stop()."""

    def __init__(self, cgroup, interval=0.5):
        self.cgroup = cgroup
        self.interval = interval
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = None

    def _sample(self):
        total = sum(pss_bytes(pid) for pid in self.cgroup.pids())
        self.peak_bytes = max(self.peak_bytes, total)

    def _loop(self):
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def start(self):
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join()
        self._sample()
        return self.peak_bytes


FSYNC_FAMILY = ("fsync", "fdatasync", "syncfs", "sync_file_range", "sync", "msync")


class SyscallCount:
    """strace -c -f on every process of a cgroup, from start() to stop(); stop() returns
    {syscall: calls} (total under "total")."""

    def __init__(self, cgroup, output):
        self.cgroup = cgroup
        self.output = Path(output)
        self.process = None

    def start(self):
        pids = self.cgroup.pids()  # -p attaches to all threads of each process
        argv = ["strace", "-c", "-f", "-o", str(self.output)]
        for pid in pids:
            argv += ["-p", str(pid)]
        stderr_path = self.output.with_suffix(".stderr")
        self._stderr = open(stderr_path, "wb")
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stderr=self._stderr)
        deadline = time.monotonic() + 10
        while stderr_path.read_text(errors="replace").count("attached") < len(pids):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"strace did not attach: {stderr_path.read_text()}")
            time.sleep(0.05)
        return self

    def stop(self):
        self.process.send_signal(signal.SIGINT)
        self.process.wait(30)
        self._stderr.close()
        return parse_strace_summary(self.output.read_text())


def parse_strace_summary(text):
    """`strace -c` table -> {syscall: calls, "total": calls}."""
    calls = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 5 or not fields[3].isdigit():
            continue
        name = fields[-1]
        calls["total" if name == "total" else name] = int(fields[3])
    return calls
