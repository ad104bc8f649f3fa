"""An S3 object is streamed, never held: reading a 16 MB body keeps memory to a few buffers.

The body is generated as it is read (as a StreamingBody delivers it) and handed to the reader
through an injected client, so the test holds no copy of it either; tracemalloc measures what
the reader allocates while it goes through every line.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

from chalicelib.trailbucket.layout import TrailFilter
from chalicelib.trailbucket.s3read import Listed, Skips, TrailBucket

RECORD = (Path(__file__).resolve().parents[1] / "fixtures" / "records" / "delete-user.json").read_text()
LINE = (json.dumps(json.loads(RECORD)) + "\n").encode()
LINES = 16 * 1024 * 1024 // len(LINE)
KEY = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/111122223333_CloudTrail_us-east-1_20261120T0905Z_Big.json"


class GeneratedBody:
    """``read(n)`` like botocore's StreamingBody, over ``LINES`` copies of one record, made on demand."""

    def __init__(self) -> None:
        self.left, self.pending = LINES, b""

    def read(self, n: int = -1) -> bytes:
        while len(self.pending) < n and self.left:
            take = min(self.left, 256)
            self.pending += LINE * take
            self.left -= take
        out, self.pending = self.pending[:n], self.pending[n:]
        return out

    def close(self) -> None:
        self.left, self.pending = 0, b""


class OneObjectClient:
    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        return {"Body": GeneratedBody()}


def test_a_16_mb_object_is_read_in_bounded_memory() -> None:
    bucket = TrailBucket(OneObjectClient(), "s3://trail", TrailFilter(), Skips(print))
    tracemalloc.start()
    events = 0
    for batch in bucket.read([Listed(KEY, LINES * len(LINE), "log")]):
        events += len(batch.items)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert events == LINES
    assert peak < 4 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB for a {LINES * len(LINE) / 1e6:.0f} MB object"
