"""What reading one source (file or stdin) has counted, so that any input costs bounded output.

A file of a million bad records is reported as its first ``SHOWN`` (each with its location)
and a count of the rest; digest and Insights records, which CloudTrail writes beside its
events, are counted as skipped, never as bad input.
"""

from __future__ import annotations

from typing import Any

from chalicelib.errors import InputError
from chalicelib.events import CloudTrailEvent, locate, not_an_event, records_in

SHOWN = 20  # bad inputs itemised per source; the rest are counted (Batch.more)
NO_META: dict[str, Any] = {}  # a record from a log file has no envelope (never written to)
Item = CloudTrailEvent | InputError


class SourceState:
    """What reading one source has counted: bad inputs itemised and not, digests and insights."""

    __slots__ = ("digest", "insight", "left", "more", "seen")

    def __init__(self, shown: int = SHOWN) -> None:
        self.left, self.more, self.seen, self.digest, self.insight = shown, 0, 0, 0, 0

    def problem(self, items: list[Item], message: str, where: str | None, count: int = 1) -> None:
        shown = min(count, self.left)
        items.extend(InputError(message, where) for _ in range(shown))
        self.left -= shown
        self.more += count - shown

    def counting(self) -> bool:
        """Nothing more of this source will be itemised: bad inputs need only be counted."""
        return not self.left

    def not_an_event(self, record: Any) -> bool:
        """Count a digest or Insights record (skipped, not bad), or say it is neither."""
        kind = not_an_event(record)
        if kind == "insight":
            self.insight += 1
        elif kind == "digest":
            self.digest += 1
        return kind is not None

    def record(self, items: list[Item], record: Any, location: str, sub: str = "",
               meta: dict[str, Any] = NO_META) -> None:
        try:
            items.append(CloudTrailEvent.from_record(record, **meta))
        except InputError as err:
            if not self.not_an_event(record):
                self.problem(items, err.message, locate(location, sub, meta))

    def doc(self, items: list[Item], doc: Any, location: str) -> None:
        """Every record of a parsed document (log file, envelope, array...), as ``events_in`` reads it."""
        for sub, record, meta in records_in(doc):
            self.record(items, record, location, sub, meta)

    def take(self, other: SourceState) -> None:
        self.left, self.more = other.left, self.more + other.more
        self.digest, self.insight = self.digest + other.digest, self.insight + other.insight

    def skipped(self) -> dict[str, int] | None:
        """A file of nothing but digests (or Insights) is a skipped file; among events, records."""
        if not (self.digest or self.insight):
            return None
        if not self.seen:
            return {"digest file" if self.digest else "insight file": 1}
        return {k: n for k, n in (("digest record", self.digest), ("insight record", self.insight)) if n}
