"""The one record / verify / purge algorithm, written once over small backend sessions.

A backend supplies two kinds of session: a *record session* (read the head, a dedup
marker, an incident, a group pointer; commit one ``RecordPlan`` atomically, conditional on
the head seq it read) and a *log session* (read the head, the chain after a seq, every
stored incident; apply a ``PurgePlan``). Everything that decides — dedup, grouping,
hashing, verification, retention — lives here and in the pure modules it calls, so the
SQLite and DynamoDB backends cannot drift apart.
"""

from __future__ import annotations

import random
import time
from abc import abstractmethod
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.errors import ChainConflict, StoreError
from chalicelib.findings import Finding
from chalicelib.incidents.chain import ChainEntry, ChainHead, StoredIncident, verify_chain
from chalicelib.incidents.grouping import DEFAULT_GROUP_WINDOW, GroupPolicy, RecordPlan, new_incident_id, plan_record
from chalicelib.incidents.keys import now_utc, utc
from chalicelib.incidents.retention import IncidentMeta, PurgePlan, plan_purge
from chalicelib.incidents.store import Incident, IncidentStore, RecordOutcome, VerifyReport


class DuplicateRecord(StoreError):
    """Another writer stored the same dedup key first; re-reading turns this into "duplicate"."""


class RecordSession(Protocol):
    def head(self) -> ChainHead: ...
    def dedup_target(self, dedup_key: str) -> str | None: ...
    def incident(self, incident_id: str) -> Incident | None: ...
    def open_group(self, rule: str, group_key: str) -> Incident | None: ...
    def commit(self, plan: RecordPlan) -> None:
        """Write everything or nothing; ``ChainConflict`` if the head moved, ``DuplicateRecord``."""
        ...


class LogSession(Protocol):
    def head(self) -> ChainHead: ...
    def entries_after(self, seq: int) -> Iterable[ChainEntry]: ...
    def stored_incidents(self) -> Iterable[StoredIncident]: ...
    def apply_purge(self, plan: PurgePlan) -> int: ...


class ChainedStore(IncidentStore):
    """Base for backends: dedup, grouping, bounded retries, verification and retention."""

    def __init__(
        self,
        *,
        group_window: timedelta = DEFAULT_GROUP_WINDOW,
        group_windows: Mapping[str, timedelta] | None = None,
        retention_days: int | None = None,
        max_attempts: int = 10,
        backoff_seconds: float = 0.01,
    ) -> None:
        self.policy = GroupPolicy(window=group_window, per_rule=dict(group_windows or {}))
        self.retention = timedelta(days=retention_days) if retention_days else None
        self.max_attempts = max(1, max_attempts)
        self.backoff_seconds = backoff_seconds
        self.conflicts = 0  # how often this writer lost the head race (for logs and tests)

    # -- backend hooks -------------------------------------------------------------------
    @abstractmethod
    def _record_session(self) -> AbstractContextManager[RecordSession]: ...

    @abstractmethod
    def _log_session(self, write: bool) -> AbstractContextManager[LogSession]: ...

    # -- IncidentStore -------------------------------------------------------------------
    def record(
        self,
        finding: Finding,
        raw_event: dict[str, Any] | None = None,
        now: datetime | None = None,
        *,
        dedup_key: str | None = None,
    ) -> RecordOutcome:
        when = utc(now) if now is not None else now_utc()
        key = dedup_key or finding.dedup_key
        for attempt in range(1, self.max_attempts + 1):
            try:
                return self._record_once(finding, raw_event, when, key)
            except DuplicateRecord:
                continue  # the next read finds the other writer's marker
            except ChainConflict:
                self.conflicts += 1
                if attempt == self.max_attempts:
                    break
                delay = min(0.5, self.backoff_seconds * 2**attempt)
                time.sleep(random.uniform(0, delay))
        raise ChainConflict(f"could not append {key!r} to the incident chain after {self.max_attempts} attempts")

    def _record_once(
        self, finding: Finding, raw_event: dict[str, Any] | None, now: datetime, key: str
    ) -> RecordOutcome:
        with self._record_session() as session:
            head = session.head()
            target = session.dedup_target(key)
            if target is not None:
                return RecordOutcome("duplicate", session.incident(target))
            existing = session.incident(new_incident_id(key))
            if existing is not None:  # marker lost (TTL, crash): the id still proves it was seen
                return RecordOutcome("duplicate", existing)
            open_incident = session.open_group(finding.rule, finding.group_key) if finding.group_key else None
            plan = plan_record(
                finding,
                raw_event=raw_event,
                now=now,
                dedup_key=key,
                head=head,
                open_incident=open_incident,
                policy=self.policy,
                retention=self.retention,
            )
            session.commit(plan)
            return RecordOutcome(plan.status, plan.incident)

    def verify(self, now: datetime | None = None) -> VerifyReport:
        """Verify a consistent view: if writers moved the head meanwhile, look again (3 times)."""
        when = utc(now) if now is not None else now_utc()
        report: VerifyReport | None = None
        for _ in range(3):
            with self._log_session(write=False) as session:
                head = session.head()
                incidents = list(session.stored_incidents())
                report = verify_chain(head, session.entries_after(head.checkpoint_seq), incidents, when)
            if report.ok:
                return report
            with self._log_session(write=False) as session:
                if session.head() == head:
                    return report
        assert report is not None
        return report

    def purge(self, older_than: datetime) -> int:
        with self._log_session(write=True) as session:
            head = session.head()
            metas = {
                s.incident_id: (
                    IncidentMeta(s.last_seen, s.seq)
                    if s.content_hash is not None
                    else IncidentMeta("~", -1)  # unreadable: never due, so purge stops before it
                )
                for s in session.stored_incidents()
            }
            plan = plan_purge(session.entries_after(head.checkpoint_seq), metas, utc(older_than))
            return 0 if plan.empty else session.apply_purge(plan)
