"""Hostile inputs for the replay memory figure: large JSON that is not CloudTrail at all.

Replay is pointed at whole trees, where an export or a Config snapshot can sit beside the
trail; before issue 11 a 100 MB array of integers grew replay past 24 GB. The bench replays:

* ``numbers``: one JSON array of integers on one line (what an export of ids looks like);
* ``object``: a pretty-printed Config-snapshot-shaped object with no ``Records`` array.

Both are deterministic, written once under ``bench/data/`` and reused.
"""

from __future__ import annotations

from pathlib import Path

VERSION = 1
MB = 1024 * 1024


def write_numbers(path: Path, size_mb: int) -> Path:
    """A JSON array of distinct integers, ``size_mb`` MB on one line."""
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as out:
            out.write(b"[0")
            written, n = 2, 1
            while written < size_mb * MB:
                chunk = b"".join(b",%d" % i for i in range(n, n + 100_000))
                out.write(chunk)
                written, n = written + len(chunk), n + 100_000
            out.write(b"]\n")
        tmp.rename(path)
    return path


ITEM = b"""    {
      "configurationItemVersion": "1.3",
      "configurationItemCaptureTime": "2026-11-20T09:00:00.000Z",
      "configurationStateId": %d,
      "awsAccountId": "111122223333",
      "resourceType": "AWS::EC2::Instance",
      "resourceId": "i-%017x",
      "awsRegion": "us-east-1",
      "tags": {"team": "payments", "env": "prod"},
      "relationships": [{"resourceType": "AWS::EC2::Volume", "resourceId": "vol-%017x", "name": "Is attached to"}],
      "configuration": {"instanceType": "m5.large", "state": {"code": 16, "name": "running"}}
    }"""


def write_object(path: Path, size_mb: int) -> Path:
    """A Config snapshot of about ``size_mb`` MB: valid JSON, and nothing CloudTrail in it."""
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as out:
            out.write(b'{\n  "fileVersion": "1.0",\n  "configSnapshotId": "5ad6b2c4-1f3e-4d7a-9b8c-0e2f4a6c8d1b",\n'
                      b'  "configurationItems": [\n')
            written, i = 0, 0
            while written < size_mb * MB:
                item = (b",\n" if i else b"") + ITEM % (i, i, i)
                out.write(item)
                written, i = written + len(item), i + 1
            out.write(b"\n  ]\n}\n")
        tmp.rename(path)
    return path


def write(folder: Path, numbers_mb: int = 100, object_mb: int = 60) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return (write_numbers(folder / f"hostile-numbers-{numbers_mb}mb-v{VERSION}.json", numbers_mb),
            write_object(folder / f"hostile-object-{object_mb}mb-v{VERSION}.json", object_mb))
