"""Measuring one process: CPU, wall time, peak memory and a hash of its output (bench/measure.py).

Kept apart from the figures measured with it: the same primitives time replay, the cold start
and the S3 path (``bench/s3path.py``), and every child gets the same environment, so figures
from one run compare. CPU and peak RSS come from ``wait4``, so they are the child's alone.
"""

from __future__ import annotations

import hashlib
import os
import platform
import pty
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DATA = BENCH / "data"
TREE = ROOT  # the checkout whose chalicelib (and app.py) is measured; bench/measure.py's --tree changes it


@dataclass
class Run:
    """One measured process: what wait4 reported, and what it wrote."""

    cpu: float  # user + sys seconds
    wall: float
    rss_kb: int  # peak resident set size
    out_sha: str | None = None
    out_bytes: int = 0
    err: bytes = b""
    rc: int = 0


def env() -> dict[str, str]:
    """Bytecode cached under bench/data (the tree stays clean), identical for every process."""
    e = dict(os.environ)
    e.pop("PYTHONDONTWRITEBYTECODE", None)
    e["PYTHONPYCACHEPREFIX"] = str(DATA / "pycache")
    e.pop("TRAILWARDEN_MODEL", None)
    return e


def measure(cmd: list[str], *, hash_out: bool = False, stderr_tty: bool = False, cwd: Path | None = None) -> Run:
    """Run ``cmd``; CPU and peak RSS come from wait4, so they are the child's alone."""
    t0 = time.perf_counter()
    out_fd = subprocess.PIPE if hash_out else subprocess.DEVNULL
    master = slave = None
    if stderr_tty:
        master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=out_fd, stderr=slave if stderr_tty else subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=env(), cwd=cwd or TREE)
    if slave is not None:
        os.close(slave)
    digest, size, err = hashlib.sha256(), 0, bytearray()
    streams = [s for s in (proc.stdout, proc.stderr) if s is not None]
    fds = [s.fileno() for s in streams] + ([master] if master is not None else [])
    while fds:
        ready, _, _ = select.select(fds, [], [])
        for fd in ready:
            try:
                chunk = os.read(fd, 1 << 20)
            except OSError:  # pty closed
                chunk = b""
            if not chunk:
                fds.remove(fd)
            elif proc.stdout is not None and fd == proc.stdout.fileno():
                digest.update(chunk)
                size += len(chunk)
            else:
                err += chunk
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if master is not None:
        os.close(master)
    for s in streams:
        s.close()
    rc = os.waitstatus_to_exitcode(status)
    return Run(usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss, digest.hexdigest() if hash_out else None,
               size, bytes(err), rc)


def best(cmd: list[str], repeat: int, **kw: bool) -> tuple[Run, list[Run]]:
    runs = [measure(cmd, **kw) for _ in range(repeat)]
    for r in runs:
        if r.rc not in (0, 1):
            sys.exit(f"command failed ({r.rc}): {' '.join(cmd)}\n{r.err.decode(errors='replace')}")
    return min(runs, key=lambda r: r.cpu), runs


def interleaved(cmds: list[list[str]], repeat: int, hash_index: int | None = None) -> list[list[Run]]:
    """``repeat`` rounds, each running every command once in turn, so a busy spell on the host
    hits all of them; the runs of each command, in round order (``hash_index``: hash its output)."""
    runs: list[list[Run]] = [[] for _ in cmds]
    for _ in range(repeat):
        for i, cmd in enumerate(cmds):
            runs[i].append(best(cmd, 1, hash_out=i == hash_index)[0])
    return runs


def fastest(runs: list[Run]) -> Run:
    return min(runs, key=lambda r: r.cpu)


def spread(base: list[Run], runs: list[Run]) -> str:
    """The rate ratio in each round (base CPU / run CPU), as "lowest-highest": how noisy it was."""
    ratios = sorted(b.cpu / r.cpu for b, r in zip(base, runs, strict=True))
    return f"rounds {ratios[0]:.2f}-{ratios[-1]:.2f}x"


def machine() -> str:
    model = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{model}, {os.cpu_count()} cores; Python {platform.python_version()}; "
            f"load average at start {load}")
