"""What the auditors' report says about responses: status, who, how fast, and what was never looked at.

Incidents reach the report as mappings; the CLI adds each one's triage state under
``triage`` (``TriageState.to_dict``). Times to acknowledge and to resolve run from the
incident's ``first_seen`` (when it happened) to the first acknowledgement (a resolution
without one counts as it) and to the resolution. The median is the middle value (the mean
of the two middle ones for an even count); the 90th percentile is the nearest-rank one:
the smallest time that at least 90 % of acknowledged incidents met. Suppressed incidents
never paged anyone, so they are reported apart and left out of these figures.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.report.summary import MISSING, as_utc, charted_time, parse_time, severity_key, text

OPEN = "open"


@dataclass(frozen=True, slots=True)
class Response:
    """One incident's triage as the report shows it."""

    status: str  # open | acknowledged | resolved | suppressed
    resolution: str | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    note: str
    reopened: bool
    time_to_ack: timedelta | None
    time_to_resolve: timedelta | None
    suppressed_by: Mapping[str, Any] | None = None


def _span(start: datetime | None, end: datetime | None) -> timedelta | None:
    return max(end - start, timedelta(0)) if start is not None and end is not None else None


def response_of(incident: Mapping[str, Any]) -> Response:
    """Read ``triage`` (and ``details.suppressed``) defensively: anything odd reads as open."""
    raw = incident.get("triage")
    triage: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    details = incident.get("details")
    suppressed = details.get("suppressed") if isinstance(details, Mapping) else None
    started = charted_time(incident)
    acked_at, resolved_at = parse_time(triage.get("acknowledged_at")), parse_time(triage.get("resolved_at"))
    status = str(triage.get("status") or OPEN)
    if isinstance(suppressed, Mapping):
        status = "suppressed"
    return Response(
        status=status if status in ("open", "acknowledged", "resolved", "suppressed") else OPEN,
        resolution=triage.get("resolution") if isinstance(triage.get("resolution"), str) else None,
        acknowledged_by=_who(triage.get("acknowledged_by")),
        acknowledged_at=acked_at,
        resolved_by=_who(triage.get("resolved_by")),
        resolved_at=resolved_at,
        note=text(triage.get("note")) if triage.get("note") else "",
        reopened=triage.get("reopened") is True,
        time_to_ack=_span(started, acked_at),
        time_to_resolve=_span(started, resolved_at),
        suppressed_by=suppressed if isinstance(suppressed, Mapping) else None,
    )


def _who(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


@dataclass(frozen=True, slots=True)
class ResponseSummary:
    open_critical: int
    open_high: int
    acknowledged: int  # incidents acknowledged at some point (resolved ones included)
    never_acknowledged: int
    resolved: int
    suppressed: int
    median_time_to_ack: timedelta | None
    p90_time_to_ack: timedelta | None


def percentile(values: Sequence[timedelta], fraction: float) -> timedelta | None:
    """Nearest rank: the smallest value at least ``fraction`` of the values are at or under."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)), 1) - 1]


def summarize_responses(incidents: Iterable[Mapping[str, Any]]) -> ResponseSummary:
    responses = [(severity_key(i.get("severity")), response_of(i)) for i in incidents]
    paging = [(sev, r) for sev, r in responses if r.status != "suppressed"]
    times = [r.time_to_ack for _, r in paging if r.time_to_ack is not None]
    median = timedelta(seconds=statistics.median(t.total_seconds() for t in times)) if times else None
    return ResponseSummary(
        open_critical=sum(1 for sev, r in paging if r.status == OPEN and sev == "critical"),
        open_high=sum(1 for sev, r in paging if r.status == OPEN and sev == "high"),
        acknowledged=sum(1 for _, r in paging if r.acknowledged_at is not None),
        never_acknowledged=sum(1 for _, r in paging if r.acknowledged_at is None),
        resolved=sum(1 for _, r in paging if r.status == "resolved"),
        suppressed=len(responses) - len(paging),
        median_time_to_ack=median,
        p90_time_to_ack=percentile(times, 0.9),
    )


def duration(value: timedelta | None) -> str:
    """``45 s``, ``4 min``, ``2 h 05 min``, ``3 d 4 h``; ``-`` when unknown."""
    if value is None:
        return MISSING
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if hours < 1:
        return f"{minutes} min"
    if days < 1:
        return f"{hours} h {minutes % 60:02d} min"
    return f"{days} d {hours % 24} h"


def principal_label(arn: Any, principal: Any) -> str:
    """The model's principal name; for an undeclared one, the short end of its ARN."""
    if isinstance(principal, str) and principal.strip():
        return principal.strip()
    value = text(arn)
    if value == MISSING or not value.startswith("arn:"):
        return value
    parts = value.split(":", 5)
    resource = parts[5] if len(parts) == 6 else value
    if resource == "root":
        return f"root ({parts[4]})"
    kind, _, rest = resource.partition("/")
    if kind == "assumed-role":
        return rest or resource
    return f"{kind} {rest.rsplit('/', 1)[-1]}" if rest else resource


def data_period(incidents: Sequence[Mapping[str, Any]], since: datetime | None,
                until: datetime | None) -> tuple[datetime | None, datetime | None]:
    """The report's period as dates: the bounds given, else the first and last incident times."""
    starts = [t for t in (charted_time(i) for i in incidents) if t is not None]
    ends = [t for t in (parse_time(i.get("last_seen")) or charted_time(i) for i in incidents) if t is not None]
    start = as_utc(since) if since is not None else (min(starts) if starts else None)
    end = as_utc(until) if until is not None else (max(ends) if ends else None)
    return start, end


def describe_dates(incidents: Sequence[Mapping[str, Any]], since: datetime | None, until: datetime | None) -> str:
    """``2026-11-02 10:01 UTC → 2026-11-20 10:09 UTC`` (whole log: the first to the last incident)."""
    start, end = data_period(incidents, since, until)
    if start is None and end is None:
        return "no incidents, no bounds given"
    whole = " (the whole log: first to last incident)" if since is None and until is None else ""
    left = f"{start:%Y-%m-%d %H:%M} UTC" if start else "?"
    right = f"{end:%Y-%m-%d %H:%M} UTC" if end else "?"
    return f"{left} → {right}{whole}"


@dataclass(frozen=True, slots=True)
class ChainFacts:
    """What the report prints about the log itself: the full head (to compare with an anchor) and the model."""

    head_seq: int
    head_hash: str
    model_version: str | None = None
