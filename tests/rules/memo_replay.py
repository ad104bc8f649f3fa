"""Replay's own reading loop, with and without the quiet memo, for the memo tests.

Shared by ``test_quiet_memo.py`` (what the memo skips) and ``test_quiet_memo_agreement.py``
(that skipping changes no finding): lines are real-shaped fixture records written as JSON lines
and read through ``batches_of`` with the engine's memo, so each test sees what ``replay`` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from chalicelib.engine import Engine
from chalicelib.events import CloudTrailEvent
from chalicelib.identity import IdentityModel
from chalicelib.parallel import judge_batches
from chalicelib.sources import Batch, batches_of

from .conftest import _BUNDLED, merge

PROJECT = Path(__file__).resolve().parents[2]
ROUTINE = "role-session-call.json"  # a declared role's read: no finding


def write_lines(path: Path, records: list[dict[str, Any]]) -> str:
    """The records as one JSON-lines file, the shape replay reads."""
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return str(path)


def outcomes(path: str, engine: Engine) -> list[str]:
    """Per line: 'quiet' (skipped by the memo), 'findings' or 'none' (judged in full).

    One line per batch, so each line is judged before the next is read (replay reads 32 ahead,
    so a repeat within one batch is judged in full: slower, never wrong).
    """
    out = []
    for batch in batches_of([path], size=1, quiet=engine.quiet):
        out += ["quiet"] * batch.quiet
        for item in batch.items:
            if isinstance(item, CloudTrailEvent):
                out.append("findings" if engine.judge(item) else "none")
            else:
                out.append(f"problem: {item}")
    return out


def with_id(doc: dict[str, Any], n: int) -> dict[str, Any]:
    """The same call again: a new event id, time and request id (what every repeat has)."""
    return merge(doc, {"eventID": f"00000000-0000-4000-8000-{n:012d}", "requestID": f"req-{n}",
                       "eventTime": f"2026-11-26T10:{n // 60 % 60:02d}:{n % 60:02d}Z"})


def twice(tmp_path: Path, first: dict[str, Any], second: dict[str, Any], model: IdentityModel | None = None
          ) -> list[str]:
    """Outcomes of ``first`` then ``second``, each a fresh call (new id, time, request id)."""
    return outcomes(write_lines(tmp_path / "t.jsonl", [with_id(first, 1), with_id(second, 2)]),
                    Engine(model or _BUNDLED))


def findings_by_line(path: str, memo: bool, size: int | None = None) -> tuple[list[list[dict[str, Any]]], int, int]:
    """Through replay's judging loop: every event's findings (as dicts) in input order, the
    number of events, and how many of them the memo skipped."""
    engine = Engine(_BUNDLED)
    skipped = 0

    def counted(batches: Iterator[Batch]) -> Iterator[Batch]:
        nonlocal skipped
        for batch in batches:
            skipped += batch.quiet
            yield batch

    hits, events = [], 0
    for judged in judge_batches(engine, counted(batches_of([path], size, quiet=engine.quiet if memo else None))):
        events += judged.events
        hits += [[f.to_dict() for f in findings] for _, findings in judged.hits]
    return hits, events, skipped
