"""The one record / verify / purge algorithm, written once over small backend sessions.

A backend supplies two kinds of session: a *record session* (read the head, a dedup
marker, an incident, a group pointer; commit one ``RecordPlan`` atomically, conditional on
the head seq it read) and a *log session* (read the head, the chain after a seq, every
stored incident; apply a ``PurgePlan`` in three steps: delete the due incidents, append the
checkpoint entry conditional on the head, truncate the chain prefix). Everything that
decides — dedup, grouping, hashing, verification, retention — lives here and in the pure
modules it calls, so the SQLite and DynamoDB backends cannot drift apart.
"""

from __future__ import annotations

import logging
import random
import time
from abc import abstractmethod
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.errors import ChainConflict, StoreError
from chalicelib.findings import Finding
from chalicelib.incidents.chain import ChainEntry, ChainHead, StoredIncident, verify_chain
from chalicelib.incidents.grouping import DEFAULT_GROUP_WINDOW, GroupPolicy, RecordPlan, plan_record
from chalicelib.incidents.keys import format_ts, incident_id_for, now_utc, utc
from chalicelib.incidents.retention import IncidentMeta, PurgePlan, plan_purge
from chalicelib.incidents.store import Incident, IncidentStore, RecordOutcome, VerifyReport
from chalicelib.incidents.triage import (
    SYSTEM_ACTOR,
    IncidentNotFound,
    TriageError,
    TriageRecord,
    TriageState,
    plan_triage,
    state_of,
)
from chalicelib.incidents.triage_verify import StoredTriage


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

    def triage_history(self, incident_id: str) -> list[TriageRecord]: ...
    def commit_triage(self, record: TriageRecord, entry: ChainEntry, head: ChainHead) -> None:
        """Write the record, its entry and the new head atomically; ``ChainConflict`` if the head moved."""
        ...


class LogSession(Protocol):
    def head(self) -> ChainHead: ...
    def entries_after(self, seq: int) -> Iterable[ChainEntry]: ...
    def stored_incidents(self) -> Iterable[StoredIncident]: ...
    def stored_triage(self) -> Iterable[StoredTriage]: ...
    def delete_incidents(self, plan: PurgePlan) -> list[str]:
        """Delete the plan's incidents (each only at the seq planned); the ids actually deleted."""
        ...

    def append_checkpoint(self, entry: ChainEntry, head: ChainHead) -> None:
        """Write ``entry`` and ``entry.head_after`` atomically; ``ChainConflict`` if the head left ``head``."""
        ...

    def truncate(self, plan: PurgePlan, deleted: list[str]) -> None:
        """Delete chain entries up to the checkpoint, and the deleted incidents' markers and pointers."""
        ...


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
                self._backoff(attempt)
        raise ChainConflict(f"could not append {key!r} to the incident chain after {self.max_attempts} attempts")

    def _reopen_if_resolved(self, outcome: RecordOutcome, now: datetime) -> RecordOutcome:
        """A resolved incident that just grew is open again: say so in its triage history."""
        incident = outcome.incident
        if outcome.status != "grouped" or incident is None:
            return outcome
        history = self.triage_history(incident.incident_id)
        if not history or max(history, key=lambda r: r.seq).status != "resolved":
            return outcome
        try:
            self.triage(incident.incident_id, "reopen", SYSTEM_ACTOR, now=now, via="monitor",
                        note=f"{incident.count} events now, after it was resolved")  # fmt: skip
        except TriageError:  # another delivery reopened it first
            return outcome
        return replace(outcome, reopened=True)

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
        when = utc(now) if now is not None else now_utc()
        for attempt in range(1, self.max_attempts + 1):
            try:
                with self._record_session() as session:
                    head = session.head()
                    incident = session.incident(incident_id)
                    if incident is None:
                        raise IncidentNotFound(f"no incident {incident_id!r}", location=incident_id)
                    record = plan_triage(incident, session.triage_history(incident_id), action, actor, now=when,
                                         resolution=resolution, note=note, via=via)  # fmt: skip
                    entry = ChainEntry.triage(head, incident_id, record.digest, format_ts(record.at))
                    record = replace(record, seq=entry.seq, hash=entry.hash)
                    session.commit_triage(record, entry, head)
                return self._observed(record)  # after the session: only a committed change is mirrored
            except ChainConflict:
                self.conflicts += 1
                if attempt == self.max_attempts:
                    break
                self._backoff(attempt)
        raise ChainConflict(f"could not append triage of {incident_id} to the chain after {self.max_attempts} attempts")

    def observe_triage(self, observer: Callable[[TriageRecord], object]) -> None:
        """Call ``observer(record)`` after each triage change this store commits (ack, resolve, reopen),
        e.g. Security Hub's workflow mirror. An observer that raises is logged; the change stands."""
        self._triage_observers = (*getattr(self, "_triage_observers", ()), observer)

    def _observed(self, record: TriageRecord) -> TriageRecord:
        for observer in getattr(self, "_triage_observers", ()):
            try:
                observer(record)
            except Exception as err:  # noqa: BLE001 - the record is in the chain; a mirror must not undo it
                logging.getLogger(__name__).warning("triage observer failed for %s: %s: %s", record.incident_id,
                                                    type(err).__name__, err)
        return record

    def state(self, incident: Incident) -> TriageState:
        return state_of(incident, self.triage_history(incident.incident_id))

    def _backoff(self, attempt: int) -> None:
        time.sleep(random.uniform(0, min(0.5, self.backoff_seconds * 2**attempt)))

    def _record_once(
        self, finding: Finding, raw_event: dict[str, Any] | None, now: datetime, key: str
    ) -> RecordOutcome:
        with self._record_session() as session:
            head = session.head()
            target = session.dedup_target(key)
            if target is not None:
                return RecordOutcome("duplicate", session.incident(target))
            existing = session.incident(incident_id_for(key))
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
        return self._reopen_if_resolved(RecordOutcome(plan.status, plan.incident, escalated=plan.escalated), now)

    def verify(self, now: datetime | None = None) -> VerifyReport:
        """Verify a consistent view: if writers moved the head meanwhile, look again (3 times)."""
        when = utc(now) if now is not None else now_utc()
        report: VerifyReport | None = None
        for _ in range(3):
            with self._log_session(write=False) as session:
                head = session.head()
                incidents = list(session.stored_incidents())
                triage = list(session.stored_triage())
                entries = session.entries_after(head.checkpoint_seq)
                report = verify_chain(head, entries, incidents, when, retention=self.retention is not None,
                                      triage=triage)  # fmt: skip
            if report.ok:
                return report
            with self._log_session(write=False) as session:
                if session.head() == head:
                    return report
        assert report is not None
        return report

    def purge(self, older_than: datetime) -> int:
        """Delete due incidents, then record the new checkpoint as a chain entry, then truncate."""
        with self._log_session(write=True) as session:
            head = session.head()
            metas = {
                s.incident_id: (
                    IncidentMeta(s.last_seen, s.seq, s.content_hash)
                    if s.content_hash is not None and s.index_ok
                    else IncidentMeta("~", -1)  # unreadable or index edited: never due, purge stops before it
                )
                for s in session.stored_incidents()
            }
            plan = plan_purge(session.entries_after(head.checkpoint_seq), metas, utc(older_than), head)
            if plan.empty:
                return 0
            deleted = session.delete_incidents(plan)
            self._append_checkpoint(session, head, plan)
            session.truncate(plan, deleted)
            return len(deleted)

    def _append_checkpoint(self, session: LogSession, head: ChainHead, plan: PurgePlan) -> None:
        """Chain a checkpoint entry for ``plan`` on the current head (retried if writers move it).

        The purged-through point stays valid while the head moves: entries are append-only.
        """
        assert plan.checkpoint_seq is not None and plan.checkpoint_hash is not None
        for attempt in range(1, self.max_attempts + 1):
            if head.checkpoint_seq >= plan.checkpoint_seq:
                return  # a concurrent purge already recorded this point or a later one
            try:
                session.append_checkpoint(ChainEntry.checkpoint(head, plan.checkpoint_seq, plan.checkpoint_hash), head)
                return
            except ChainConflict:
                self.conflicts += 1
                if attempt == self.max_attempts:
                    break
                self._backoff(attempt)
                head = session.head()
        raise ChainConflict(f"could not append the retention checkpoint after {self.max_attempts} attempts")
