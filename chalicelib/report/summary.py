"""Counting shared by the HTML and Markdown reports: one pass over the incidents, one answer.

Incidents come from the store as plain mappings whose text fields were copied from
CloudTrail, so every field is read defensively: a missing, ``None`` or odd value never
raises, it renders as ``-`` (``MISSING``) and counts under a visible bucket rather than
disappearing.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.findings import Severity

MISSING = "-"
UNKNOWN = "unknown"
# Most severe first; the order of tiles, tables and (bottom-up) chart stacks.
SEVERITIES: tuple[str, ...] = tuple(s.label for s in sorted(Severity, reverse=True))
_RANK: dict[str, int] = {s.label: int(s) for s in Severity} | {UNKNOWN: 0}
MAX_BUCKETS = 400  # more than this many days and the timeline switches to weeks, then months, then years
DEFAULT_TITLE = "Trailwarden incident report"


# --- reading one field -----------------------------------------------------------------------


def text(value: Any) -> str:
    """Display text for any field value; ``None`` and blank strings become ``-``."""
    if value is None:
        return MISSING
    if isinstance(value, Severity):
        return value.label
    if isinstance(value, str):
        return value.strip() or MISSING
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, list | tuple | set | frozenset):
        items = [text(item) for item in value if item not in (None, "")]
        return ", ".join(items) if items else MISSING
    if isinstance(value, Mapping):
        return json.dumps(value, sort_keys=True, default=str) if value else MISSING
    return str(value)


def parse_time(value: Any) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 string (``...Z`` included) or datetime; else ``None``."""
    if isinstance(value, datetime):
        return as_utc(value)
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()
    if raw[-1:] in ("Z", "z"):
        raw = raw[:-1] + "+00:00"
    try:
        return as_utc(datetime.fromisoformat(raw))
    except ValueError:
        return None


def as_utc(moment: datetime) -> datetime:
    """Naive datetimes are taken to be UTC (CloudTrail's zone); aware ones are converted."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def format_time(value: Any) -> str:
    """``2026-11-20 10:01:02`` (UTC) for a parseable time, the raw text otherwise, ``-`` if absent."""
    moment = parse_time(value)
    if moment is None:
        return MISSING if value is None or isinstance(value, datetime) else text(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def severity_key(value: Any) -> str:
    """``critical`` … ``info`` for a known severity (label, enum or number), ``unknown`` otherwise."""
    if isinstance(value, Severity):
        return value.label
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return Severity(value).label
        except ValueError:
            return UNKNOWN
    label = str(value).strip().lower() if value is not None else ""
    return label if label in _RANK and label != UNKNOWN else UNKNOWN


def severity_rank(label: str) -> int:
    return _RANK.get(label, 0)


def event_count(value: Any) -> int:
    """How many events an incident stands for: its ``count``; 1 when missing or unreadable."""
    if isinstance(value, bool):
        return 1
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return value if isinstance(value, int) and value >= 0 else 1


def charted_time(incident: Mapping[str, Any]) -> datetime | None:
    """When an incident began: ``first_seen``, or ``event_time`` for an ungrouped finding."""
    return parse_time(incident.get("first_seen")) or parse_time(incident.get("event_time"))


def describe_period(since: datetime | None, until: datetime | None) -> str:
    start = f"{as_utc(since):%Y-%m-%d %H:%M} UTC" if since else "the beginning of the log"
    end = f"{as_utc(until):%Y-%m-%d %H:%M} UTC" if until else "the end of the log"
    return f"{start} → {end}"


def describe_moment(moment: datetime) -> str:
    return f"{as_utc(moment):%Y-%m-%d %H:%M:%S} UTC"


def report_title(title: Any) -> str:
    """The report's title as display text; a missing or blank one falls back to ``DEFAULT_TITLE``."""
    shown = text(title)
    return shown if shown != MISSING else DEFAULT_TITLE


def plural(n: int, word: str) -> str:
    """``1 incident``, ``1,234 incidents``."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


# --- counting --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tally:
    """Incidents and events (sum of ``count``) under one key, and the worst severity among them."""

    key: str
    incidents: int
    events: int
    worst: str
    rules: tuple[str, ...] = ()  # the distinct rules among them, most frequent first


@dataclass(frozen=True, slots=True)
class Summary:
    total_incidents: int
    total_events: int
    by_severity: tuple[Tally, ...]  # every severity, most severe first; ``unknown`` only when present
    by_rule: tuple[Tally, ...]  # most incidents first
    top_principals: tuple[Tally, ...]  # most events first, at most ``top`` of them
    principal_count: int  # distinct principal ARNs (a missing one counts as ``-``)
    rows: tuple[Mapping[str, Any], ...]  # the incidents in table order: most severe, then earliest


def _tallies(groups: Mapping[str, list[Mapping[str, Any]]]) -> list[Tally]:
    out = []
    for key, members in groups.items():
        worst = max((severity_key(m.get("severity")) for m in members), key=severity_rank)
        events = sum(event_count(m.get("count")) for m in members)
        rules = Counter(text(m.get("rule")) for m in members)
        ordered = tuple(sorted(rules, key=lambda r: (-rules[r], r)))
        out.append(Tally(key, len(members), events, worst, ordered))
    return out


def _row_order(incident: Mapping[str, Any]) -> tuple[int, int, datetime, str, str]:
    moment = charted_time(incident)
    return (
        -severity_rank(severity_key(incident.get("severity"))),
        moment is None,  # undated rows last within their severity
        moment or datetime.min.replace(tzinfo=UTC),
        text(incident.get("rule")),
        text(incident.get("incident_id")),
    )


def summarize(incidents: Iterable[Mapping[str, Any]], *, top: int = 10) -> Summary:
    """Counts by severity, rule and principal, and the table order, in one place for both renderers."""
    items = list(incidents)
    by_sev: dict[str, list[Mapping[str, Any]]] = {label: [] for label in SEVERITIES}
    by_rule: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    by_principal: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for incident in items:
        by_sev.setdefault(severity_key(incident.get("severity")), []).append(incident)
        by_rule[text(incident.get("rule"))].append(incident)
        by_principal[text(incident.get("principal_arn"))].append(incident)

    severity = [
        Tally(label, len(members), sum(event_count(m.get("count")) for m in members), label)
        for label, members in by_sev.items()
        if label != UNKNOWN or members
    ]
    rules = sorted(_tallies(by_rule), key=lambda t: (-t.incidents, -severity_rank(t.worst), t.key))
    principals = sorted(_tallies(by_principal), key=lambda t: (-t.events, -t.incidents, t.key))
    return Summary(
        total_incidents=len(items),
        total_events=sum(event_count(i.get("count")) for i in items),
        by_severity=tuple(severity),
        by_rule=tuple(rules),
        top_principals=tuple(principals[: max(top, 0)]),
        principal_count=len(principals),
        rows=tuple(sorted(items, key=_row_order)),
    )


# --- the timeline ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bucket:
    start: date
    label: str
    counts: Mapping[str, int]  # severity -> incidents that began in this bucket

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class Timeline:
    granularity: str  # day | week | month | year
    buckets: tuple[Bucket, ...]  # every bucket of the range, empty ones included
    severities: tuple[str, ...]  # stacking order, bottom first
    undated: int  # incidents with neither a readable first_seen nor event_time

    @property
    def peak(self) -> int:
        return max((b.total for b in self.buckets), default=0)

    @property
    def busiest(self) -> Bucket | None:
        """The bucket with the most incidents (the earliest on a tie), ``None`` when nothing is dated."""
        best = max(self.buckets, key=lambda b: b.total, default=None)
        return best if best is not None and best.total else None

    def when(self, bucket: Bucket) -> str:
        """``on 2026-11-17``, ``in the week of 2026-11-16``, ``in 2026-11``: a bucket inside a sentence."""
        if self.granularity == "day":
            return f"on {bucket.label}"
        return f"in the {bucket.label}" if self.granularity == "week" else f"in {bucket.label}"

    @property
    def bars(self) -> int:
        """How many buckets hold at least one incident (one drawn bar each)."""
        return sum(1 for b in self.buckets if b.total)


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


_START: dict[str, Callable[[date], date]] = {
    "day": lambda d: d,
    "week": lambda d: d - timedelta(days=d.weekday()),
    "month": lambda d: d.replace(day=1),
    "year": lambda d: date(d.year, 1, 1),
}
_SPAN: dict[str, Callable[[date, date], int]] = {
    "day": lambda lo, hi: (hi - lo).days + 1,
    "week": lambda lo, hi: (_START["week"](hi) - _START["week"](lo)).days // 7 + 1,
    "month": lambda lo, hi: _month_index(hi) - _month_index(lo) + 1,
    "year": lambda lo, hi: hi.year - lo.year + 1,
}
_LABEL: dict[str, Callable[[date], str]] = {
    "day": lambda d: d.isoformat(),
    "week": lambda d: f"week of {d.isoformat()}",
    "month": lambda d: f"{d:%Y-%m}",
    "year": lambda d: f"{d:%Y}",
}


def _nth(granularity: str, first: date, n: int) -> date:
    if granularity == "day":
        return first + timedelta(days=n)
    if granularity == "week":
        return first + timedelta(weeks=n)
    if granularity == "month":
        index = _month_index(first) + n
        return date(index // 12, index % 12 + 1, 1)
    return date(first.year + n, 1, 1)


def _last_day(until: datetime) -> date:
    """An ``until`` at exactly midnight is an exclusive bound: the day before is the last one shown."""
    moment = as_utc(until)
    if moment.time() == datetime.min.time() and moment.date() > date.min:
        return moment.date() - timedelta(days=1)
    return moment.date()


def build_timeline(
    incidents: Sequence[Mapping[str, Any]], *, since: datetime | None = None, until: datetime | None = None
) -> Timeline:
    """Incidents per day of ``first_seen`` by severity over the report period (widened to fit the data)."""
    dated: list[tuple[date, str]] = []
    undated = 0
    for incident in incidents:
        moment = charted_time(incident)
        if moment is None:
            undated += 1
        else:
            dated.append((moment.date(), severity_key(incident.get("severity"))))
    present = {sev for _, sev in dated}
    severities = tuple(s for s in (*SEVERITIES, UNKNOWN) if s in SEVERITIES or s in present)
    ends = [d for d, _ in dated]
    if since is not None:
        ends.append(as_utc(since).date())
    if until is not None:
        ends.append(_last_day(until))
    if not ends:
        return Timeline("day", (), severities, undated)
    lo, hi = min(ends), max(ends)
    granularity = next((g for g in ("day", "week", "month") if _SPAN[g](lo, hi) <= MAX_BUCKETS), "year")
    first = _START[granularity](lo)
    counts: dict[date, Counter[str]] = defaultdict(Counter)
    for day, sev in dated:
        counts[_START[granularity](day)][sev] += 1
    buckets = []
    for n in range(_SPAN[granularity](lo, hi)):
        start = _nth(granularity, first, n)
        per_sev = counts.get(start, Counter())
        buckets.append(Bucket(start, _LABEL[granularity](start), {s: per_sev[s] for s in severities if per_sev[s]}))
    return Timeline(granularity, tuple(buckets), severities, undated)
