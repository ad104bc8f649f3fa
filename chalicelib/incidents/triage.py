"""Triage: an incident's status (open → acknowledged → resolved) as an append-only record.

A status change never rewrites the incident. Each change is a ``TriageRecord`` stored
beside it and chained like an incident (a ``triage`` chain entry carries the record's
content hash). The records of one incident also form their own little chain: each names
the content hash of the one before (``prev``), so the incident's *latest* triage entry
vouches for its whole history, even after retention truncates older chain entries; editing
or deleting any record breaks a link that ``verify`` checks.

The status is derived, never stored on the incident: the latest record says it, except
that a resolved incident that has grown since (more grouped events than it had when it was
resolved) is open again — the monitor appends a ``reopen`` record when that happens, and
the derivation covers the moment between the growth and that record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Literal

from chalicelib.errors import TrailwardenError
from chalicelib.incidents.chain import json_digest
from chalicelib.incidents.keys import format_ts, parse_ts, utc
from chalicelib.incidents.store import Incident

Status = Literal["open", "acknowledged", "resolved"]
Action = Literal["ack", "resolve", "reopen"]
STATUSES: tuple[str, ...] = ("open", "acknowledged", "resolved")
RESOLUTIONS: tuple[str, ...] = ("expected", "false-positive", "remediated", "accepted-risk")
ACTIONS: tuple[str, ...] = ("ack", "resolve", "reopen")
MAX_NOTE = 2000
MAX_ACTOR = 200
SYSTEM_ACTOR = "trailwarden"  # who reopens an incident that grew after it was resolved


class TriageError(TrailwardenError):
    """A triage request that cannot be applied (bad value, or not allowed in the current status)."""


class IncidentNotFound(TriageError):
    """The incident to triage does not exist (or was purged)."""


@dataclass(frozen=True)
class TriageRecord:
    """One status change: what was done, by whom, when, through which channel, with what note.

    ``count`` is the incident's event count when the change was made (a resolved incident
    that grows past it is open again); ``prev`` is the content hash of the incident's
    previous record ("" for the first); ``seq``/``hash`` are those of its chain entry.
    """

    incident_id: str
    action: str
    status: str
    resolution: str | None
    actor: str
    at: datetime
    note: str
    via: str
    count: int
    prev: str
    seq: int = 0
    hash: str = ""

    def content(self) -> dict[str, Any]:
        """What the chain protects (every field but the entry's own seq/hash)."""
        data = self.to_dict()
        del data["seq"], data["hash"]
        return data

    @property
    def digest(self) -> str:
        return json_digest(self.content())

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["at"] = format_ts(self.at)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TriageRecord:
        """Inverse of ``to_dict`` (reads stored rows/items); a bad ``at`` is a ``TriageError``."""
        at = parse_ts(data.get("at"))
        if at is None:
            raise TriageError(f"triage record of {data.get('incident_id')!r} has no readable time")
        return cls(
            incident_id=str(data["incident_id"]),
            action=str(data["action"]),
            status=str(data["status"]),
            resolution=None if data.get("resolution") is None else str(data["resolution"]),
            actor=str(data["actor"]),
            at=at,
            note=str(data.get("note") or ""),
            via=str(data.get("via") or ""),
            count=int(data.get("count") or 0),
            prev=str(data.get("prev") or ""),
            seq=int(data.get("seq") or 0),
            hash=str(data.get("hash") or ""),
        )


@dataclass(frozen=True)
class TriageState:
    """An incident's derived status and the facts a report needs (who, when)."""

    status: str = "open"
    resolution: str | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    note: str = ""
    reopened: bool = False
    last: TriageRecord | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (CLI, API, reports)."""
        return {
            "status": self.status,
            "resolution": self.resolution,
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": format_ts(self.acknowledged_at) if self.acknowledged_at else None,
            "resolved_by": self.resolved_by,
            "resolved_at": format_ts(self.resolved_at) if self.resolved_at else None,
            "note": self.note,
            "reopened": self.reopened,
        }


def state_of(incident: Incident, history: Iterable[TriageRecord]) -> TriageState:
    """Fold the records (in seq order) into the current state.

    The first acknowledgement (or a resolution without one) is when the incident was
    acknowledged; the latest resolution is when it was resolved. A resolved incident whose
    count grew since is open again.
    """
    state = TriageState()
    for record in sorted(history, key=lambda r: r.seq):
        ack_by, ack_at = state.acknowledged_by, state.acknowledged_at
        if record.action in ("ack", "resolve") and ack_at is None:
            ack_by, ack_at = record.actor, record.at
        if record.action == "resolve":
            state = TriageState("resolved", record.resolution, ack_by, ack_at, record.actor, record.at, record.note,
                                state.reopened, record)  # fmt: skip
        elif record.action == "ack":
            state = TriageState("acknowledged", None, ack_by, ack_at, None, None, record.note, state.reopened, record)
        else:  # reopen: acknowledgement starts over, so time to acknowledge measures the new alert
            state = TriageState("open", None, None, None, None, None, record.note, True, record)
    last = state.last
    if state.status == "resolved" and last is not None and incident.count > last.count:
        state = TriageState("open", None, None, None, None, None, state.note, True, last)
    return state


def _clean(text: str | None, what: str, limit: int) -> str:
    value = (text or "").strip()
    if len(value) > limit:
        raise TriageError(f"{what} is longer than {limit} characters")
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise TriageError(f"{what} contains control characters")
    return value


def plan_triage(
    incident: Incident,
    history: Iterable[TriageRecord],
    action: str,
    actor: str,
    *,
    now: datetime,
    resolution: str | None = None,
    note: str | None = None,
    via: str = "cli",
) -> TriageRecord:
    """The record ``action`` appends, or ``TriageError`` saying why it is not allowed now.

    ack: only an open incident. resolve: an open or acknowledged one, with a resolution.
    reopen: only a resolved one.
    """
    records = sorted(history, key=lambda r: r.seq)
    if action not in ACTIONS:
        raise TriageError(f"unknown triage action {action!r} (expected one of: {', '.join(ACTIONS)})")
    who = _clean(actor, "--as (who)", MAX_ACTOR)
    if not who:
        raise TriageError("say who is triaging (--as NAME)")
    text = _clean(note, "note", MAX_NOTE)
    if action == "resolve":
        if resolution not in RESOLUTIONS:
            raise TriageError(f"resolution {resolution!r} is not one of: {', '.join(RESOLUTIONS)}")
    elif resolution is not None:
        raise TriageError(f"a resolution is given only when resolving, not with {action!r}")
    status = state_of(incident, records).status
    if action == "reopen":  # what was recorded, not derived: a grown incident derives "open" already
        status = records[-1].status if records else "open"
    allowed = {"ack": ("open",), "resolve": ("open", "acknowledged"), "reopen": ("resolved",)}[action]
    if status not in allowed:
        raise TriageError(f"incident {incident.incident_id} is {status}: cannot {action} it",
                          location=incident.incident_id)
    new_status = {"ack": "acknowledged", "resolve": "resolved", "reopen": "open"}[action]
    return TriageRecord(
        incident_id=incident.incident_id,
        action=action,
        status=new_status,
        resolution=resolution,
        actor=who,
        at=utc(now),
        note=text,
        via=via,
        count=incident.count,
        prev=records[-1].digest if records else "",
    )
