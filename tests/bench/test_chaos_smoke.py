"""``make chaos`` at a tiny size, so the table's script keeps working (not timed): every row it
prints for a Slack outage and a process dying after the store has nothing lost or doubled."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_chaos_prints_one_clean_row_per_scenario_asked_for() -> None:
    cmd = [sys.executable, "bench/chaos.py", "--events", "40", "--only", "slack 500", "--only", "process dies"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ") and "scenario" not in line]
    assert (done.returncode, len(rows)) == (0, 2), done.stderr[-2000:]
    assert all(cells.split(" | ")[4:7] == ["0", "0", "ok"] for cells in rows), rows
