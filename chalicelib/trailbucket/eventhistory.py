"""CloudTrail Event history (``LookupEvents``): the last 90 days of management events, no trail needed.

``LookupEvents`` is limited to 2 requests per second per account and region, returns at most
50 events a page, newest first, and carries each record as a JSON string (``CloudTrailEvent``).
So the period is read in windows (a day by default), oldest window first; each window's pages
are fetched with the boto3 paginator, spaced by a ``Pacer`` so one region never sees more
than ``RATE`` requests a second (botocore's adaptive retry mode backs off further if AWS
throttles anyway), and the window's events, from every region, are judged oldest first: the
engine's history (key rotations, role sessions) needs them in order, and memory holds one
window, never the 90 days.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson

from chalicelib.awserrors import ACCESS_DENIED, aws_error, error_code
from chalicelib.errors import ConfigError, InputError
from chalicelib.events import CloudTrailEvent
from chalicelib.sources import Batch
from chalicelib.sourcestate import Item
from chalicelib.trailbucket.layout import parse_day, parse_regions, today_utc
from chalicelib.trailbucket.s3read import Skips

MAX_DAYS = 90  # how far back Event history goes
RATE = 2.0  # LookupEvents requests per second per account and region (the documented limit)
INTERVAL = 1.0 / RATE * 1.1  # a tenth under the limit: clocks and retries are not exact
PAGE = 50  # LookupEvents' largest MaxResults
IAM_REGION = "us-east-1"  # where IAM, STS global and root console sign-in events are recorded


@dataclass
class Pacer:
    """At most one request per ``interval`` seconds per region (the clock and sleep are injected)."""

    interval: float = INTERVAL
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    last: dict[str, float] = field(default_factory=dict)

    def wait(self, region: str) -> None:
        now = self.clock()
        due = self.last.get(region, float("-inf")) + self.interval
        if now < due:
            self.sleep(due - now)
            now = due
        self.last[region] = now


def client_config() -> Any:
    """botocore's adaptive retry: client-side rate limiting that slows down when AWS throttles."""
    from botocore.config import Config

    return Config(retries={"mode": "adaptive", "max_attempts": 10})


class EventHistory:
    """``LookupEvents`` over [start, end] in the regions of ``clients`` (one client per region)."""

    def __init__(self, clients: Mapping[str, Any], start: datetime, end: datetime, skips: Skips,
                 *, window: timedelta = timedelta(days=1), pacer: Pacer | None = None) -> None:
        self.clients, self.start, self.end, self.skips = clients, start, end, skips
        self.window = window
        self.pacer = pacer or Pacer()
        self.denied: set[str] = set()  # regions refused once are not asked again

    def windows(self) -> Iterator[tuple[datetime, datetime]]:
        """Consecutive, non-overlapping (both ends inclusive, to the second) windows, oldest first."""
        at = self.start
        while at <= self.end:
            last = min(at + self.window - timedelta(seconds=1), self.end)
            yield at, last
            at = last + timedelta(seconds=1)

    def _pages(self, region: str, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        pages = iter(self.clients[region].get_paginator("lookup_events").paginate(
            StartTime=start, EndTime=end, PaginationConfig={"PageSize": PAGE}))
        while True:
            self.pacer.wait(region)  # each next() is one request
            page = next(pages, None)
            if page is None:
                return
            yield page
            if not page.get("NextToken"):  # the last page: no request is left to pace
                return

    def _region(self, region: str, start: datetime, end: datetime) -> list[tuple[str, Item]]:
        """One region's events in the window, oldest first, keyed by eventTime."""
        out: list[tuple[str, Item]] = []
        try:
            for page in self._pages(region, start, end):
                for entry in page.get("Events") or ():
                    out.append(_event(entry, region))
        except Exception as err:
            code = error_code(err)
            if code not in ACCESS_DENIED:
                raise aws_error(err, action="cloudtrail:LookupEvents", region=region) or err from err
            self.denied.add(region)
            self.skips.add(f"event history in {region}",
                           f"access denied calling cloudtrail:LookupEvents ({code}); the other regions go on")
        out.reverse()  # LookupEvents answers newest first
        return out

    def batches(self) -> Iterator[Batch]:
        """One batch per window, every region's events merged oldest first."""
        for start, end in self.windows():
            merged: list[tuple[str, Item]] = []
            for region in self.clients:
                if region not in self.denied:
                    merged.extend(self._region(region, start, end))
            merged.sort(key=lambda pair: pair[0])  # stable: a region's order holds within a second
            name = f"event-history:{start:%Y-%m-%d}"
            yield Batch(name, [item for _, item in merged], None, last=True)


def _event(entry: dict[str, Any], region: str) -> tuple[str, Item]:
    """A LookupEvents entry's record (its ``CloudTrailEvent`` string), or a located problem."""
    where = f"event-history:{region}:{entry.get('EventId') or '?'}"
    when = entry.get("EventTime")
    stamp = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(when, datetime) else ""
    text = entry.get("CloudTrailEvent")
    if not isinstance(text, str):
        return stamp, InputError("no CloudTrailEvent in the LookupEvents answer", where)
    try:
        record = orjson.loads(text)
        return str(record.get("eventTime") or stamp) if isinstance(record, dict) else stamp, \
            CloudTrailEvent.from_record(record)
    except orjson.JSONDecodeError as err:
        return stamp, InputError(f"CloudTrailEvent is not JSON ({err})", where)
    except InputError as err:
        return stamp, InputError(err.message, where)


def period(since: str | None, until: str | None, today: date, now: datetime) -> tuple[datetime, datetime]:
    """[start, end] in UTC from ``--since`` (default and limit: 90 days) and ``--until`` (default: now)."""
    first = parse_day(since or f"{MAX_DAYS}d", today, "--since")
    if (today - first).days > MAX_DAYS:
        raise ConfigError(f"Event history keeps {MAX_DAYS} days: --since {first} is {(today - first).days} days ago "
                          "(for older events, replay the trail bucket: replay s3://BUCKET/PREFIX)", "--since")
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    end = now
    if until:
        last = parse_day(until, today, "--until")
        end = min(datetime(last.year, last.month, last.day, 23, 59, 59, tzinfo=UTC), now)
    if start > end:
        raise ConfigError(f"--since {first} is after --until {until}", "--since")
    return start, end


def default_regions(current: str | None) -> tuple[str, ...]:
    """The current region, and us-east-1 where IAM and root sign-in events are recorded."""
    return tuple(dict.fromkeys(r for r in (current, IAM_REGION) if r))


def from_args(args: argparse.Namespace, skips: Skips,
              make_client: Callable[[str], Any] | None = None) -> EventHistory:
    """The Event history ``replay --event-history`` reads (clients from boto3 unless injected)."""
    import boto3

    chosen = parse_regions(args.regions) if args.regions else default_regions(boto3.session.Session().region_name)
    if make_client is None:
        def make_client(region: str) -> Any:
            return boto3.client("cloudtrail", region_name=region, config=client_config())
    if args.accounts:
        raise ConfigError("Event history is the calling account's own: --accounts does not apply", "--accounts")
    start, end = period(args.since, args.until, today_utc(), datetime.now(UTC))
    return EventHistory({r: make_client(r) for r in chosen}, start, end, skips)
