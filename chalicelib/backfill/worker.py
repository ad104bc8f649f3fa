"""The ``backfill_worker`` Lambda: judge one Distributed Map batch of trail objects into the store.

Step Functions' ``ItemReader`` (``s3:listObjectsV2``) lists the trail bucket under a prefix and
its ``ItemBatcher`` hands each invocation ``{"BatchInput": {...}, "Items": [{"Key", "Size",
...}]}``. Each object is classified by its key (digests and non-CloudTrail objects are skipped
unopened, objects outside the filter are not read), streamed through the same reader and
engine as ``replay s3://``, and every finding goes through ``Monitor.record`` exactly as
``replay --store`` does: the store's (event, rule) key makes a retried batch, or a second
backfill, store nothing new. Alerts are off unless the execution asked for them (history is
reported, not paged).

The engine's history (key rotations, role sessions) spans one batch: the ItemBatcher hands
consecutive keys (one account and region, in time order), so a session's events are mostly
together; an event whose history lies in another batch is judged as a fresh replay would.

A bad or denied object is counted and named in the result (a few), never a failure: only an
AWS failure (the store down, throttling past retries) fails the batch, which Step Functions
retries and then tolerates up to the threshold.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from chalicelib.errors import ConfigError
from chalicelib.identity.model import IdentityModel
from chalicelib.parallel import judge_batches
from chalicelib.trailbucket.layout import TrailFilter, classify, wanted
from chalicelib.trailbucket.s3read import Listed, Skips, TrailBucket

NAMED = 20  # bad or denied objects named in a batch's result (Step Functions keeps results small)


@dataclass(frozen=True)
class BatchInput:
    """What ``backfill start`` put in the execution input, as the ItemBatcher repeats it to every batch."""

    bucket: str
    filter: TrailFilter
    alert: bool = False
    execution: str = ""

    @classmethod
    def parse(cls, event: Any) -> tuple[BatchInput, list[dict[str, Any]]]:
        if not isinstance(event, dict) or not isinstance(event.get("Items"), list):
            raise ConfigError("expected a Distributed Map batch: {\"BatchInput\": {...}, \"Items\": [...]}",
                              "backfill_worker event")
        given = event.get("BatchInput") or {}
        bucket = given.get("bucket")
        if not isinstance(bucket, str) or not bucket:
            raise ConfigError("BatchInput.bucket is missing", "backfill_worker event")
        return cls(bucket, filter_from(given.get("filter") or {}), bool(given.get("alert")),
                   str(given.get("execution") or "")), event["Items"]


def filter_from(data: dict[str, Any]) -> TrailFilter:
    """The execution input's ``filter`` (dates as ISO strings, lists or null)."""
    def day(value: Any) -> date | None:
        return date.fromisoformat(value) if value else None

    def ids(value: Any) -> frozenset[str] | None:
        return frozenset(value) if value else None

    try:
        return TrailFilter(day(data.get("since")), day(data.get("until")), ids(data.get("accounts")),
                           ids(data.get("regions")))
    except (TypeError, ValueError) as err:
        raise ConfigError(f"BatchInput.filter is invalid ({err})", "backfill_worker event") from None


def filter_to(filt: TrailFilter) -> dict[str, Any]:
    return {"since": filt.since.isoformat() if filt.since else None,
            "until": filt.until.isoformat() if filt.until else None,
            "accounts": sorted(filt.accounts) if filt.accounts else None,
            "regions": sorted(filt.regions) if filt.regions else None}


def listed(items: list[dict[str, Any]], filt: TrailFilter, skipped: Counter[str]) -> Iterator[Listed]:
    """The batch's objects the filter wants, as ``TrailBucket.read`` takes them; the rest counted."""
    for item in items:
        key = item.get("Key") if isinstance(item, dict) else None
        if not isinstance(key, str) or key.endswith("/"):
            skipped["not an object"] += 1
            continue
        found = classify(key)
        if not wanted(found, filt):
            skipped["outside the filter"] += 1
            continue
        yield Listed(key, int(item.get("Size") or 0), found.kind)


def judge_batch(event: Any, *, s3: Any, monitor: Any, model: IdentityModel) -> dict[str, Any]:
    """Judge and store one batch; the small summary Step Functions keeps as the item's result."""
    from chalicelib.engine import Engine

    given, items = BatchInput.parse(event)
    skipped: Counter[str] = Counter()
    denied: list[str] = []
    skips = Skips(denied.append)
    engine = Engine(model)
    bucket = TrailBucket(s3, f"s3://{given.bucket}", given.filter, skips)
    outcomes: Counter[str] = Counter()
    objects = events = findings = 0
    bad: list[str] = []
    for judged in judge_batches(engine, bucket.read(listed(items, given.filter, skipped), engine.quiet),
                                keep_raw=True):
        events += judged.events
        skipped.update(judged.skipped or {})
        if judged.last and judged.source is not None and not judged.skipped:
            objects += 1  # a log object read to its end (skipped ones are counted in ``skipped``)
        bad += [str(p) for p in judged.problems][: NAMED - len(bad)]
        for raw, found in judged.hits:
            findings += len(found)
            result = monitor.record(found, raw, event_id=found[0].event_id, alert=given.alert)
            outcomes.update(h.outcome.status for h in result.handled)
    return {"items": len(items), "objects": objects, "events": events, "findings": findings,
            "new": outcomes["new"], "grouped": outcomes["grouped"], "duplicate": outcomes["duplicate"],
            "skipped": dict(skipped), "bad": bad, "denied": [d.removeprefix("skipped: ") for d in denied][:NAMED],
            "denied_count": len(skips.denied)}


# A batch summary's counts, in its key: ``backfill status`` sums a run with LIST calls alone (1,000
# batches a call) instead of a GET per batch. Letter → summary field.
COUNTS = {"o": "objects", "e": "events", "f": "findings", "n": "new", "g": "grouped", "d": "duplicate",
          "b": "bad_count", "x": "denied_count"}


def result_key(execution: str, items: list[dict[str, Any]], summary: dict[str, Any]) -> str:
    """``backfill/EXECUTION/batches/DIGEST/o12.e3400.f5.n3.g0.d2.b0.x0.json``: the batch (by its first key
    and size) as a folder, its counts as the name; a batch run twice leaves two names in one folder."""
    first = items[0].get("Key", "") if items and isinstance(items[0], dict) else ""
    digest = hashlib.sha256(f"{first}#{len(items)}".encode()).hexdigest()[:24]
    counts = ".".join(f"{letter}{int(summary.get(name) or 0)}" for letter, name in COUNTS.items())
    return f"backfill/{execution or 'unnamed'}/batches/{digest}/{counts}.json"


def parse_result_key(key: str) -> tuple[str, dict[str, int]] | None:
    """(the batch's digest, its counts) from a key ``result_key`` wrote; None for anything else."""
    parts = key.split("/")
    if len(parts) < 2 or not parts[-1].endswith(".json"):
        return None
    counts: dict[str, int] = {}
    for field in parts[-1].removesuffix(".json").split("."):
        name = COUNTS.get(field[:1])
        if name is None or not field[1:].isdigit():
            return None
        counts[name] = int(field[1:])
    return parts[-2], counts


def write_result(s3: Any, results_bucket: str, event: dict[str, Any], summary: dict[str, Any]) -> None:
    """Keep the summary where ``backfill status`` sums findings so far (the map's own results come at the end)."""
    summary = {**summary, "bad_count": len(summary.get("bad") or ())}
    key = result_key(str((event.get("BatchInput") or {}).get("execution") or ""), event.get("Items") or [], summary)
    s3.put_object(Bucket=results_bucket, Key=key, Body=json.dumps(summary).encode(),
                  ContentType="application/json")


def handle(event: Any) -> dict[str, Any]:
    """The deployed wiring: the handlers' monitor (store, notifier, model), S3 with standard retries."""
    import os

    import boto3
    from botocore.config import Config

    from chalicelib import runtime

    s3 = boto3.client("s3", config=Config(retries={"mode": "standard", "max_attempts": 8}))
    monitor = runtime.monitor()  # the handlers' store, notifier and model (bundled, file or S3)
    summary = judge_batch(event, s3=s3, monitor=monitor, model=monitor.engine.model)
    results = os.environ.get("TRAILWARDEN_BACKFILL_RESULTS")
    if results:
        write_result(s3, results, event, summary)
    return summary
