"""Smoke checks for the benchmark's moving parts (not timed): the data generator, ``replay
--workers`` giving the same findings as one worker, and the progress bar staying off pipes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.errors import InputError
from chalicelib.events import CloudTrailEvent
from chalicelib.progress import Progress
from chalicelib.sources import read_source
from tests.bench.scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "bench" / "model.yaml"


def replay(*args: str) -> subprocess.CompletedProcess[bytes]:
    cmd = [sys.executable, "-m", "chalicelib", "replay", *args, "--model", str(MODEL), "--format", "json"]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "shards"
    subprocess.run([sys.executable, str(ROOT / "bench" / "gen.py"), "--records", "500", "--files", "4",
                    "--out", str(out)], cwd=ROOT, check=True, capture_output=True, timeout=120)
    return out


def test_generator_writes_real_shaped_records(shards: Path) -> None:
    files = sorted(shards.glob("*.jsonl"))
    assert len(files) == 4
    assert sum(len(f.read_bytes().splitlines()) for f in files) == 500
    items = [item for f in files for item in read_source(str(f))]
    assert [str(i) for i in items if isinstance(i, InputError)] == []
    events = [i for i in items if isinstance(i, CloudTrailEvent)]
    assert len(events) == 500
    assert len({e.event_id for e in events}) == 500  # every record gets a fresh eventID


def test_workers_give_the_same_findings_as_one_worker(shards: Path) -> None:
    one, two = replay(str(shards), "--workers", "1"), replay(str(shards), "--workers", "2")
    assert one.returncode == two.returncode == 0, two.stderr.decode()
    assert one.stdout.count(b"\n") > 0, "the generated trail should produce findings"
    assert two.stdout == one.stdout  # same findings, same order: files in input order, events in file order
    assert two.stderr == one.stderr  # the same summary line, and no progress bar on a pipe


def test_progress_bar_draws_nothing_when_stderr_is_not_a_terminal() -> None:
    stream = io.StringIO()  # isatty() is False, as for a pipe or a file
    with Progress(files=3, total_bytes=1000, stream=stream, interval=0) as progress:
        progress.update(1, 400, 1000, 7, force=True)
        progress.update(3, 1000, 2500, 9, force=True)
    assert stream.getvalue() == ""


def test_progress_messages_still_reach_a_pipe_and_clear_the_bar_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    piped, tty = io.StringIO(), Terminal()
    for stream in (piped, tty):
        with Progress(files=2, total_bytes=None, stream=stream, interval=0) as progress:
            progress.update(1, 10, 100, 1, force=True)
            progress.message("bad input: x.json: invalid JSON")
    assert piped.getvalue() == "bad input: x.json: invalid JSON\n"
    assert "events/s" in tty.getvalue() and "\r\x1b[K" in tty.getvalue()
    assert "bad input: x.json: invalid JSON\n" in tty.getvalue()


def test_replay_on_a_pipe_prints_only_the_summary_on_stderr(shards: Path) -> None:
    result = replay(str(shards))
    assert result.stderr.count(b"\n") == 1 and result.stderr.startswith(b"judged 500 events")
    assert b"\r" not in result.stderr


def test_hostile_inputs_are_valid_json_that_replay_reports_in_a_few_lines(tmp_path: Path) -> None:
    hostile = load_script("hostile")
    numbers, snapshot = hostile.write(tmp_path, numbers_mb=2, object_mb=2)
    assert isinstance(json.loads(numbers.read_bytes()), list) and "Records" not in json.loads(snapshot.read_bytes())
    for path in (numbers, snapshot):
        run = replay(str(path))
        assert run.returncode == 1
        assert 0 < run.stderr.count(b"bad input: ") <= 21
