"""The incident log interface: what the handlers, the CLI and auditors program against.

Backends (SQLite for local use and tests, DynamoDB in Lambda) implement ``IncidentStore``;
callers never see which one they have, so the contract test suite runs against both.
"""

from __future__ import annotations

import dataclasses
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from chalicelib.errors import ConfigError
from chalicelib.findings import Finding, Severity
from chalicelib.incidents.keys import format_ts, parse_ts, utc

if TYPE_CHECKING:
    from chalicelib.incidents.triage import TriageRecord

MAX_MEMBERS = 100  # member_event_ids keeps the most recent ids; ``count`` keeps the total
MAX_LIMIT = 1000

RecordStatus = Literal["new", "grouped", "duplicate"]


def _json_clean(value: Any) -> Any:
    """Round-trip through JSON so what we hash is exactly what either backend stores."""
    return json.loads(json.dumps(value, default=str))


@dataclass(frozen=True)
class Incident:
    """One stored incident: the first finding's fields plus grouping and chain bookkeeping.

    The finding part is ``Finding``'s fields, in its order (checked below the class), except
    that ``severity`` is the worst of the grouped findings'. ``seq``/``hash`` are those of
    the incident's latest chain entry; everything else is the *content* that the chain
    hashes (see ``content()``).
    """

    incident_id: str
    rule: str
    severity: Severity
    title: str
    principal_arn: str | None
    principal: str | None
    target_arn: str | None
    event_id: str | None
    event_name: str | None
    event_source: str | None
    event_time: str | None
    account: str | None
    region: str | None
    source_ip: str | None
    user_agent: str | None
    breaks: str | None
    runbook: str
    reason: str
    reference: str | None
    observed_auth: str | None
    group_key: str | None
    details: dict[str, Any]
    count: int
    first_seen: datetime
    last_seen: datetime
    member_event_ids: tuple[str, ...]
    raw_event: dict[str, Any] | None
    seq: int = 0
    hash: str = ""

    @classmethod
    def open(cls, finding: Finding, incident_id: str, when: datetime, raw_event: dict[str, Any] | None) -> Incident:
        """A new incident from its first finding (not yet chained: seq 0, no hash)."""
        data = _json_clean(finding.to_dict())
        data.update(
            incident_id=incident_id,
            count=1,
            first_seen=format_ts(when),
            last_seen=format_ts(when),
            member_event_ids=[finding.event_id] if finding.event_id else [],
            raw_event=_json_clean(raw_event) if raw_event is not None else None,
        )
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Incident:
        """Inverse of ``to_dict`` (also reads stored rows/items); unknown keys are ignored."""
        finding = Finding.from_dict(data)
        first_seen = parse_ts(data.get("first_seen"))
        last_seen = parse_ts(data.get("last_seen"))
        if first_seen is None or last_seen is None:
            raise ConfigError(f"incident {data.get('incident_id')!r} has no readable first_seen/last_seen")
        return cls(
            incident_id=str(data["incident_id"]),
            **{name: getattr(finding, name) for name in _FINDING_FIELDS},
            # Read the stored count as it is (0 stays 0), so an edited count never re-hashes as the original.
            count=int(data["count"]) if data.get("count") is not None else 1,
            first_seen=first_seen,
            last_seen=last_seen,
            member_event_ids=tuple(str(m) for m in data.get("member_event_ids") or ()),
            raw_event=data.get("raw_event"),
            seq=int(data.get("seq") or 0),
            hash=str(data.get("hash") or ""),
        )

    def content(self) -> dict[str, Any]:
        """Everything the chain protects: ``to_dict()`` without the chain's own seq/hash."""
        data = self.to_dict()
        del data["seq"], data["hash"]
        return data

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the DESIGN §6 finding fields, then the incident's own."""
        data = self.finding.to_dict()
        data.update(
            incident_id=self.incident_id,
            count=self.count,
            first_seen=format_ts(self.first_seen),
            last_seen=format_ts(self.last_seen),
            member_event_ids=list(self.member_event_ids),
            raw_event=self.raw_event,
            seq=self.seq,
            hash=self.hash,
        )
        return data

    @property
    def finding(self) -> Finding:
        """The first finding (at the incident's severity), as a ``Finding`` (notifiers, CLI printers)."""
        return Finding(**{name: getattr(self, name) for name in _FINDING_FIELDS} | {"details": dict(self.details)})

    def chained(self, seq: int, hash_: str) -> Incident:
        return replace(self, seq=seq, hash=hash_)


# The finding part of an incident is declared field by field above, so readers and tools see
# the attributes; from_dict/finding copy it by name from ``Finding``'s own field list, and
# this check keeps the declarations identical to it (names, types and order).
_FINDING_FIELDS = tuple(f.name for f in dataclasses.fields(Finding))
if [(f.name, f.type) for f in dataclasses.fields(Incident) if f.name in _FINDING_FIELDS] != [
    (f.name, f.type) for f in dataclasses.fields(Finding)
]:  # pragma: no cover - a Finding field was added or changed without Incident
    raise TypeError("Incident must declare every Finding field, with the same type, in the same order")


@dataclass(frozen=True)
class RecordOutcome:
    """What ``record`` did. ``incident`` is ``None`` only for a duplicate whose incident was purged.

    ``escalated`` is True when a grouped finding raised the incident's severity: the monitor
    may alert again for it. ``reopened`` is True when the finding grew an incident that had
    been resolved: it is open again (a ``reopen`` triage record says so) and alerts again.
    """

    status: RecordStatus
    incident: Incident | None
    escalated: bool = False
    reopened: bool = False


@dataclass(frozen=True)
class IncidentQuery:
    """An auditor's filter; every field is optional and they combine with AND.

    ``principal_arn`` matches exactly, except that a role ARN also matches every session of
    that role. ``since``/``until`` bound ``first_seen`` as ``since <= first_seen < until``.
    """

    principal_arn: str | None = None
    rule: str | None = None
    account: str | None = None
    min_severity: Severity | str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    next_token: str | None = None

    def __post_init__(self) -> None:
        if self.min_severity is not None:
            object.__setattr__(self, "min_severity", Severity.parse(self.min_severity))
        if not 1 <= int(self.limit) <= MAX_LIMIT:
            raise ConfigError(f"query limit must be between 1 and {MAX_LIMIT}, got {self.limit}")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, utc(value))

    @property
    def severity_floor(self) -> Severity | None:
        return Severity.parse(self.min_severity) if self.min_severity is not None else None


@dataclass(frozen=True)
class Page:
    """One page of results, newest first; pass ``next_token`` back for the next page."""

    items: tuple[Incident, ...]
    next_token: str | None = None


@dataclass(frozen=True)
class VerifyReport:
    """The verdict on the log's integrity; on failure it names the first incident at fault."""

    ok: bool
    checked: int  # chain entries walked (after the retention checkpoint)
    problem: str | None = None
    first_bad_incident_id: str | None = None
    incidents: int = 0
    head_seq: int = 0
    head_hash: str = ""
    pruned: int = 0  # incidents accepted as TTL-expired (see chain.py)


class IncidentStore(ABC):
    """The tamper-evident incident log (see ``chalicelib.incidents.chain`` for the design)."""

    @abstractmethod
    def record(
        self,
        finding: Finding,
        raw_event: dict[str, Any] | None = None,
        now: datetime | None = None,
        *,
        dedup_key: str | None = None,
    ) -> RecordOutcome:
        """Store a finding idempotently: new incident, grouped into an open one, or duplicate.

        ``dedup_key`` overrides ``finding.dedup_key`` (``rule#event_id``; audit findings
        without an event id use ``rule#group_key`` or ``rule#principal_arn``). A scheduled
        audit that wants one incident per day passes e.g. ``f"{f.dedup_key}#{date}"``.
        """

    @abstractmethod
    def get(self, incident_id: str) -> Incident | None:
        """One incident by id, or ``None``."""

    @abstractmethod
    def query(self, query: IncidentQuery) -> Page:
        """Incidents matching ``query``, newest ``first_seen`` first, one page at a time."""

    @abstractmethod
    def verify(self, now: datetime | None = None) -> VerifyReport:
        """Walk the hash chain and check every incident against it."""

    @abstractmethod
    def purge(self, older_than: datetime) -> int:
        """Retention: delete incidents last seen before ``older_than``; returns how many."""

    # -- triage (see ``chalicelib.incidents.triage``) ----------------------------------------
    @abstractmethod
    def triage(
        self,
        incident_id: str,
        action: str,
        actor: str,
        *,
        now: datetime | None = None,
        resolution: str | None = None,
        note: str | None = None,
        via: str = "cli",
    ) -> TriageRecord:
        """Append one status change (``ack``, ``resolve``, ``reopen``) to the chain.

        ``TriageError`` when it is not allowed in the incident's status, ``IncidentNotFound``
        when there is no such incident. The incident itself is never rewritten.
        """

    @abstractmethod
    def triage_history(self, incident_id: str) -> list[TriageRecord]:
        """An incident's triage records, oldest first."""

    @abstractmethod
    def triage_histories(self) -> dict[str, list[TriageRecord]]:
        """Every incident's triage records (reports, status filters), oldest first."""

    def iter_all(self, query: IncidentQuery | None = None) -> list[Incident]:
        """Every matching incident, following pagination (for exports and tests)."""
        query = query or IncidentQuery(limit=MAX_LIMIT)
        out: list[Incident] = []
        while True:
            page = self.query(query)
            out.extend(page.items)
            if page.next_token is None:
                return out
            query = replace(query, next_token=page.next_token)
