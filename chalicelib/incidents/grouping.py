"""Grouping: decide whether a finding opens a new incident or joins an open one.

Pure functions over already-read state, so both backends make exactly the same decision;
the backend only reads the inputs and commits the resulting plan atomically.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from chalicelib.findings import Finding
from chalicelib.incidents.chain import ChainEntry, ChainHead
from chalicelib.incidents.keys import format_ts, incident_id_for, parse_ts, utc
from chalicelib.incidents.retention import expires_at
from chalicelib.incidents.store import MAX_MEMBERS, Incident

DEFAULT_GROUP_WINDOW = timedelta(hours=1)
MEMBERS = "members"  # the key in a grouped incident's details: its events in arrival order


@dataclass(frozen=True)
class GroupPolicy:
    """How long an incident stays open for more findings, with per-rule overrides."""

    window: timedelta = DEFAULT_GROUP_WINDOW
    per_rule: Mapping[str, timedelta] | None = None

    def window_for(self, rule: str) -> timedelta:
        return (self.per_rule or {}).get(rule, self.window)

    def accepts(self, incident: Incident, when: datetime) -> bool:
        """Is ``when`` within the window of the incident's span (out-of-order events too)?"""
        window = self.window_for(incident.rule)
        return incident.first_seen - window <= when <= incident.last_seen + window


@dataclass(frozen=True)
class RecordPlan:
    """Everything one ``record`` writes, decided on the state at ``head``."""

    status: Literal["new", "grouped"]
    dedup_key: str
    incident: Incident  # the new version, already chained (seq/hash of ``entry``)
    previous: Incident | None  # the version it replaces (grouped) — the writer's condition
    entry: ChainEntry
    head: ChainHead  # the head the decision was made on — the writer's condition
    expires_at: int | None
    escalated: bool = False  # grouped, and the finding raised the incident's severity

    @property
    def new_head(self) -> ChainHead:
        return replace(self.head, seq=self.entry.seq, hash=self.entry.hash)


def _member(event_id: Any, event_time: Any, event_name: Any, source_ip: Any) -> dict[str, Any]:
    return {"event_id": event_id, "event_time": event_time, "event_name": event_name, "source_ip": source_ip}


def with_member(incident: Incident, finding: Finding, when: datetime) -> dict[str, Any]:
    """The incident's details with the grouped event appended to ``members`` (time, event, source IP).

    So a grouped incident can be replayed as a sequence (the report's session view); the
    first member is the incident's own first event. Bounded like ``member_event_ids``.
    """
    details = dict(incident.details)
    members = details.get(MEMBERS)
    if not isinstance(members, list):
        members = [_member(incident.event_id, incident.event_time, incident.event_name, incident.source_ip)]
    added = _member(finding.event_id, finding.event_time or format_ts(when), finding.event_name, finding.source_ip)
    details[MEMBERS] = [*members, added][-MAX_MEMBERS:]
    return details


def event_time(finding: Finding, now: datetime) -> datetime:
    """When it happened: the CloudTrail event time if readable, else when we saw it."""
    return parse_ts(finding.event_time) or utc(now)


def plan_record(
    finding: Finding,
    *,
    raw_event: dict[str, Any] | None,
    now: datetime,
    dedup_key: str,
    head: ChainHead,
    open_incident: Incident | None,
    policy: GroupPolicy,
    retention: timedelta | None,
) -> RecordPlan:
    """New incident, or the open one with count+1, span widened and the member appended.

    A grouped finding worse than the incident raises its ``severity`` (``escalated``); every
    other field stays the first finding's.
    """
    when = event_time(finding, now)
    if open_incident is not None and finding.group_key and policy.accepts(open_incident, when):
        members = open_incident.member_event_ids
        if finding.event_id:
            members = (*members, finding.event_id)[-MAX_MEMBERS:]
        escalated = finding.severity > open_incident.severity
        content = replace(
            open_incident,
            details=with_member(open_incident, finding, when),
            severity=max(open_incident.severity, finding.severity),
            count=open_incident.count + 1,
            first_seen=min(open_incident.first_seen, when),
            last_seen=max(open_incident.last_seen, when),
            member_event_ids=members,
        )
        status: Literal["new", "grouped"] = "grouped"
        previous: Incident | None = open_incident
    else:
        content = Incident.open(finding, incident_id_for(dedup_key), when, raw_event)
        status, previous, escalated = "new", None, False
    ttl = expires_at(content.last_seen, retention)
    entry = ChainEntry.append(head, content, ttl)
    return RecordPlan(
        status=status,
        dedup_key=dedup_key,
        incident=content.chained(entry.seq, entry.hash),
        previous=previous,
        entry=entry,
        head=head,
        expires_at=ttl,
        escalated=escalated,
    )
