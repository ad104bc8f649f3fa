"""``replay`` on what a real tree of files holds: hostile JSON beside the events, and the digest and
Insights files that ``aws s3 sync`` of a trail bucket brings. Bad input is reported in bounded
lines; what CloudTrail writes that is not events is skipped and counted, never bad input."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.cli import main
from chalicelib.cli.replay import PRINTED
from chalicelib.sources import SHOWN

ROOT = Path(__file__).resolve().parents[2]
STORY = ROOT / "examples" / "story"
BUCKET = ROOT / "tests" / "fixtures" / "trail-bucket"
ACCOUNT = "111122223333"
DAY = "us-east-1/2026/11/20"


def replay(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict], list[str]]:
    code = main(["replay", "--format", "json", *args])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines() if line.strip()], err.splitlines()


def bad_lines(err: list[str]) -> list[str]:
    return [line for line in err if line.startswith("bad input: ")]


def gzipped(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(gzip.compress(source.read_bytes()))
    return target


@pytest.fixture
def synced_bucket(tmp_path: Path) -> Path:
    """A trail bucket as ``aws s3 sync`` leaves it: a log file, an hourly digest, an Insights file."""
    logs = tmp_path / "AWSLogs" / ACCOUNT
    gzipped(STORY / "02-root-cli-session.records.json",
            logs / "CloudTrail" / DAY / f"{ACCOUNT}_CloudTrail_us-east-1_20261120T0905Z_Jq2mX8cVbT0aLw3R.json.gz")
    gzipped(BUCKET / "digest.json", logs / "CloudTrail-Digest" / DAY /
            f"{ACCOUNT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20261120T100000Z.json.gz")
    gzipped(BUCKET / "insight.json", logs / "CloudTrail-Insight" / DAY /
            f"{ACCOUNT}_CloudTrail-Insight_us-east-1_20261120T0915Z_Ab12Cd34Ef56Gh78.json.gz")
    return tmp_path


def test_a_file_of_a_million_numbers_prints_twenty_bad_inputs_and_counts_the_rest(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(b"[" + b"1," * 999_999 + b"1]")
    code, _, err = replay(capsys, str(path))
    assert code == 1
    lines = bad_lines(err)
    assert len(lines) == SHOWN + 1
    assert lines[0] == f"bad input: {path}:1[0]: expected a JSON object for a CloudTrail record, got a number"
    assert lines[-1] == (f"bad input: {path}: and {1_000_000 - SHOWN:,} more in this file "
                         f"(only the first {SHOWN} are shown)")
    assert err[-1].endswith("; 1000000 bad inputs")


def test_bad_input_lines_stop_at_the_cap_for_the_run_and_the_last_line_names_the_files_left(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    files = PRINTED // SHOWN + 2
    for n in range(files):
        (tmp_path / f"f{n:02d}.jsonl").write_text("{oops\n" * SHOWN)
    code, _, err = replay(capsys, str(tmp_path))
    assert code == 1
    lines = bad_lines(err)
    assert len(lines) == PRINTED + 1
    left = [tmp_path / f"f{n:02d}.jsonl" for n in (files - 2, files - 1)]
    assert lines[-1] == (f"bad input: {2 * SHOWN} more not shown (past {PRINTED} lines): "
                         f"{left[0]} ({SHOWN}), {left[1]} ({SHOWN})")
    assert err[-1].endswith(f"; {files * SHOWN} bad inputs")


def test_fewer_bad_inputs_than_the_caps_are_all_printed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for n in range(3):
        (tmp_path / f"f{n}.jsonl").write_text("{oops\n[1]\n")
    _, _, err = replay(capsys, str(tmp_path))
    lines = bad_lines(err)
    assert len(lines) == 6
    assert not any("more" in line for line in lines)


def test_events_beside_a_hostile_file_are_still_judged(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "tree"
    shutil.copytree(STORY, folder)
    (folder / "config").mkdir()
    (folder / "config" / "snapshot.json").write_bytes(b'{"configurationItems": [' + b'{"k": "v"},' * 900_000 + b"{}]}")
    code, findings, err = replay(capsys, str(folder))
    assert code == 1
    assert {"root-signin", "iam-delete-user", "secret-read-undeclared"} <= {f["rule"] for f in findings}
    assert bad_lines(err) == [f"bad input: {folder / 'config' / 'snapshot.json'}:1: not a CloudTrail file: a JSON "
                              f"object of {(folder / 'config' / 'snapshot.json').stat().st_size:,} bytes with no "
                              "Records array"]


def test_a_synced_trail_bucket_skips_digest_and_insight_files_and_exits_0(
        capsys: pytest.CaptureFixture[str], synced_bucket: Path) -> None:
    code, findings, err = replay(capsys, str(synced_bucket))
    assert code == 0
    assert [f["event_name"] for f in findings] == ["GetCallerIdentity", "DescribeInstances", "CreateBucket"]
    assert bad_lines(err) == []
    assert err[-1].endswith("; 0 bad inputs; skipped 1 digest file, 1 insight file")


def test_digest_and_insight_files_are_recognised_by_their_content_outside_their_folders(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    shutil.copy(BUCKET / "digest.json", tmp_path / "a.json")
    shutil.copy(BUCKET / "digest.json", tmp_path / "b.json")
    gzipped(BUCKET / "insight.json", tmp_path / "c.json.gz")
    code, _, err = replay(capsys, str(tmp_path))
    assert code == 0
    assert err[-1] == "judged 0 events: 0 findings (none); 0 bad inputs; skipped 2 digest files, 1 insight file"


def test_an_insight_event_among_other_events_is_skipped_and_counted(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bus.jsonl"
    envelope = json.loads((BUCKET / "insight.eventbridge.json").read_text())
    record = json.loads((STORY / "03-root-reads-agent-secret.json").read_text())
    path.write_text(json.dumps(envelope) + "\n" + json.dumps(record) + "\n")
    code, findings, err = replay(capsys, str(path))
    assert code == 0
    assert "secret-read-undeclared" in {f["rule"] for f in findings}
    assert err[-1].endswith("; 0 bad inputs; skipped 1 insight record")


def test_an_object_that_only_resembles_a_digest_is_still_bad_input(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    digest = json.loads((BUCKET / "digest.json").read_text())
    del digest["digestStartTime"]
    (tmp_path / "almost.json").write_text(json.dumps(digest))
    code, _, err = replay(capsys, str(tmp_path / "almost.json"))
    assert code == 1
    assert bad_lines(err) == [f"bad input: {tmp_path / 'almost.json'}:1: not a CloudTrail record: no eventName or "
                              "eventSource"]
    assert "skipped" not in err[-1]


def test_workers_print_the_same_bad_input_report_as_one_process(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(b"[" + b"1," * 50_000 + b"1]")
    (tmp_path / "b.jsonl").write_text("{oops\n" * 30)
    shutil.copy(BUCKET / "digest.json", tmp_path / "c.json")
    shutil.copy(STORY / "03-root-reads-agent-secret.json", tmp_path / "d.json")
    runs = [subprocess.run([sys.executable, "-m", "chalicelib", "replay", str(tmp_path), "--workers", n],
                           cwd=ROOT, capture_output=True, text=True, timeout=120, check=False) for n in ("1", "2")]
    assert runs[0].returncode == runs[1].returncode == 1
    assert runs[0].stderr.count("bad input: ") == 2 * SHOWN + 2
    assert runs[1].stderr == runs[0].stderr and runs[1].stdout == runs[0].stdout
