"""Large and hostile files: every good record is still read, memory stays flat, bad input is bounded."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import orjson

from chalicelib.errors import InputError
from chalicelib.events import CloudTrailEvent
from chalicelib.jsonstream import LIMIT
from chalicelib.sources import MAX_LINE, SHOWN, batches_of, read_source

ROOT = Path(__file__).resolve().parents[1]
STORY = ROOT / "examples" / "story"
RECORDS = [*json.loads((STORY / "02-root-cli-session.records.json").read_text())["Records"],
           json.loads((STORY / "03-root-reads-agent-secret.json").read_text())]


def log_file(n: int) -> dict:
    """A ``{"Records": [...]}`` log file of ``n`` story records, each with its own eventID."""
    return {"Records": [dict(RECORDS[i % len(RECORDS)], eventID=f"evt-{i:07d}") for i in range(n)]}


def ids(n: int) -> list[str]:
    return [f"evt-{i:07d}" for i in range(n)]


def events(items: list) -> list[CloudTrailEvent]:
    return [i for i in items if isinstance(i, CloudTrailEvent)]


def problems(items: list) -> list[str]:
    return [str(i) for i in items if isinstance(i, InputError)]


def test_a_log_file_larger_than_the_limit_on_one_line_yields_every_record_in_order(tmp_path: Path) -> None:
    path = tmp_path / "111122223333_CloudTrail_us-east-1_20261120T0905Z_big.json"
    path.write_bytes(orjson.dumps(log_file(12000)))  # one line, as CloudTrail writes it
    assert path.stat().st_size > MAX_LINE
    items = list(read_source(str(path)))
    assert [e.event_id for e in events(items)] == ids(12000) and problems(items) == []


def test_a_pretty_printed_log_file_larger_than_the_limit_yields_every_record_in_order(tmp_path: Path) -> None:
    path = tmp_path / "big-pretty.json"
    path.write_text(json.dumps(log_file(9000), indent=2))
    assert path.stat().st_size > MAX_LINE
    items = list(read_source(str(path)))
    assert [e.event_id for e in events(items)] == ids(9000) and problems(items) == []


def test_a_large_gzipped_log_file_is_read_whole_too(tmp_path: Path) -> None:
    path = tmp_path / "big.json.gz"
    path.write_bytes(gzip.compress(orjson.dumps(log_file(12000))))
    assert len(events(list(read_source(str(path))))) == 12000


def test_a_bad_element_of_a_large_array_is_named_by_its_index_and_the_rest_read(tmp_path: Path) -> None:
    records = log_file(12000)["Records"]
    records[7000] = 5
    path = tmp_path / "array.json"
    path.write_text(json.dumps(records, indent=1))
    assert path.stat().st_size > MAX_LINE
    items = list(read_source(str(path)))
    assert problems(items) == [f"{path}[7000]: expected a JSON object for a CloudTrail record, got a number"]
    assert len(events(items)) == 11999


def test_a_large_object_that_is_not_cloudtrail_is_one_bad_input(tmp_path: Path) -> None:
    items = [{"resourceType": "AWS::EC2::Instance", "resourceId": f"i-{i:017x}", "awsAccountId": "111122223333",
              "configuration": {"state": {"name": "running"}}} for i in range(60000)]
    path = tmp_path / "config-snapshot.json"
    path.write_text(json.dumps({"fileVersion": "1.0", "configSnapshotId": "5ad6b2c4", "configurationItems": items},
                               indent=2))
    assert path.stat().st_size > MAX_LINE
    (problem,) = problems(list(read_source(str(path))))
    assert problem.startswith(f"{path}: not a CloudTrail file: a JSON object of ") and "no Records array" in problem


def test_past_the_first_problems_of_a_file_the_rest_are_counted_not_itemised(tmp_path: Path) -> None:
    path = tmp_path / "numbers.json"
    path.write_text(json.dumps(list(range(1000))))
    found = problems(list(read_source(str(path))))
    assert len(found) == SHOWN + 1
    assert found[-1] == f"{path}: {1000 - SHOWN} more bad inputs (only the first {SHOWN} are itemised)"


def test_a_file_with_few_problems_itemises_each_of_them(tmp_path: Path) -> None:
    path = tmp_path / "few.jsonl"
    path.write_text("{oops\n[1]\n" + json.dumps(RECORDS[0]) + "\n")
    found = problems(list(read_source(str(path))))
    assert [p.split(": ", 1)[0] for p in found] == [f"{path}:1", f"{path}:2[0]"]
    assert "more bad inputs" not in " ".join(found)


def test_a_huge_array_of_numbers_is_counted_exactly(tmp_path: Path) -> None:
    path = tmp_path / "numbers.json"
    path.write_bytes(b"[" + b"7, -1.5e3, " * 400_000 + b'"x", true, null]')
    batches = list(batches_of([str(path)]))
    assert sum(len(b.items) + b.more for b in batches) == 800_003


def test_a_json_line_too_dense_to_parse_whole_is_read_in_pieces_and_the_next_lines_still_read(
        tmp_path: Path) -> None:
    path = tmp_path / "dense.jsonl"
    dense = b"[" + b"{}," * 400_000 + b"{}]"  # 1.2 MB, but ~45 MB as Python objects
    assert LIMIT < len(dense) < MAX_LINE
    path.write_bytes(orjson.dumps(RECORDS[3]) + b"\n" + dense + b"\n" + orjson.dumps(RECORDS[3]) + b"\n{oops\n")
    batches = list(batches_of([str(path)]))
    assert sum(1 for b in batches for i in b.items if isinstance(i, CloudTrailEvent)) == 2
    assert sum(b.more + sum(isinstance(i, InputError) for i in b.items) for b in batches) == 400_001 + 1


def test_a_json_line_longer_than_max_line_is_read_in_pieces_and_the_next_lines_still_read(tmp_path: Path) -> None:
    path = tmp_path / "huge-line.jsonl"
    big = orjson.dumps(log_file(12000))
    assert len(big) > MAX_LINE
    path.write_bytes(big + b"\n" + orjson.dumps(RECORDS[3]) + b"\n{oops\n")
    items = list(read_source(str(path)))
    assert len(events(items)) == 12001
    assert [p.split(": ")[0] for p in problems(items)] == [f"{path}:3"]


def test_a_value_cut_short_on_its_long_line_does_not_swallow_the_lines_after_it(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl"
    cut = b'{"Records": [' + b"{}, " * 400_000 + b"{}"  # too dense to parse whole, and never closed
    assert LIMIT < len(cut) < MAX_LINE
    path.write_bytes(cut + b"\n" + orjson.dumps(RECORDS[3]) + b"\n")
    batches = list(batches_of([str(path)]))
    assert sum(1 for b in batches for i in b.items if isinstance(i, CloudTrailEvent)) == 1
    assert sum(b.more + sum(isinstance(i, InputError) for i in b.items) for b in batches) == 400_001 + 1


MEMORY_CHECK = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))  # fail fast, not take the host down
from chalicelib.sources import batches_of
bad = sum(len(b.items) + b.more for b in batches_of(sys.argv[1:]))
peak_kb = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(bad, int(peak_kb) // 1024)  # this process's peak (ru_maxrss may count the parent's, from before exec)
"""


def test_reading_hostile_files_keeps_memory_flat(tmp_path: Path) -> None:
    numbers = tmp_path / "numbers.json"
    numbers.write_bytes(b"[" + b"1," * 6_000_000 + b"1]")  # 12 MB: 6 million bad inputs
    export = tmp_path / "export.json"
    export.write_bytes(b'{"items": [' + b'{"k": "v"},' * 1_000_000 + b"{}]}")  # 11 MB, not CloudTrail
    out = subprocess.run([sys.executable, "-c", MEMORY_CHECK, str(numbers), str(export)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, check=True).stdout.split()
    bad, peak_mb = int(out[0]), int(out[1])
    assert bad == 6_000_001 + 1
    assert peak_mb < 120
