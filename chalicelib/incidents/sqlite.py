"""SQLite backend: one file (or ``:memory:``), stdlib ``sqlite3``, for local runs, the CLI and tests.

Every write runs in ``BEGIN IMMEDIATE`` so two processes (or two store objects) serialise
on SQLite's write lock; the head row is still updated conditionally on the seq read, so
the shared chain logic sees the same conflict contract as on DynamoDB. WAL mode lets
auditors' queries run while a writer holds the lock. Every incident field is a column (so
``sqlite3 incidents.db`` is directly useful) plus derived ``principal_key`` and
``severity_rank`` columns that make the auditors' filters index lookups.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chalicelib.errors import ChainConflict, StoreError, TrailwardenError
from chalicelib.incidents.chain import GENESIS_HASH, ChainEntry, ChainHead, StoredIncident, canonical_json
from chalicelib.incidents.chained import ChainedStore, DuplicateRecord
from chalicelib.incidents.grouping import RecordPlan
from chalicelib.incidents.keys import format_ts, is_role_arn, principal_key, sort_key, split_sort_key
from chalicelib.incidents.paging import decode_token, encode_token
from chalicelib.incidents.retention import PurgePlan
from chalicelib.incidents.store import Incident, IncidentQuery, Page
from chalicelib.incidents.triage import TriageRecord
from chalicelib.incidents.triage_verify import StoredTriage

log = logging.getLogger(__name__)

_JSON_COLUMNS = frozenset({"details", "member_event_ids", "raw_event"})
_INT_COLUMNS = frozenset({"count", "seq"})
_NOT_NULL = frozenset(
    {"rule", "severity", "title", "runbook", "reason", "first_seen", "last_seen", "hash", "details", "member_event_ids"}
)
_COLUMNS = tuple(f.name for f in dataclasses.fields(Incident))
_ALL_COLUMNS = (*_COLUMNS, "principal_key", "severity_rank", "expires_at")
_ENTRY_COLUMNS = tuple(f.name for f in dataclasses.fields(ChainEntry))


def _column_ddl(name: str) -> str:
    if name == "incident_id":
        return "incident_id TEXT PRIMARY KEY"
    kind = "INTEGER" if name in _INT_COLUMNS else "TEXT"
    return f"{name} {kind}" + (" NOT NULL" if name in _NOT_NULL | _INT_COLUMNS else "")


_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS incidents (
    {", ".join(_column_ddl(c) for c in _COLUMNS)},
    principal_key TEXT, severity_rank INTEGER NOT NULL, expires_at INTEGER
);
CREATE INDEX IF NOT EXISTS ix_incidents_principal ON incidents (principal_arn, first_seen);
CREATE INDEX IF NOT EXISTS ix_incidents_principal_key ON incidents (principal_key, first_seen);
CREATE INDEX IF NOT EXISTS ix_incidents_rule ON incidents (rule, first_seen);
CREATE INDEX IF NOT EXISTS ix_incidents_account ON incidents (account, first_seen);
CREATE INDEX IF NOT EXISTS ix_incidents_first_seen ON incidents (first_seen, incident_id);
CREATE TABLE IF NOT EXISTS dedup (dedup_key TEXT PRIMARY KEY, incident_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ix_dedup_incident ON dedup (incident_id);
CREATE TABLE IF NOT EXISTS open_groups (
    rule TEXT NOT NULL, group_key TEXT NOT NULL, incident_id TEXT NOT NULL, PRIMARY KEY (rule, group_key)
);
CREATE TABLE IF NOT EXISTS chain (
    seq INTEGER PRIMARY KEY, incident_id TEXT NOT NULL, content_hash TEXT NOT NULL,
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL, last_seen TEXT NOT NULL, expires_at INTEGER,
    kind TEXT NOT NULL, through_seq INTEGER, through_hash TEXT
);
CREATE TABLE IF NOT EXISTS chain_head (
    id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL,
    checkpoint_seq INTEGER NOT NULL, checkpoint_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS triage (
    seq INTEGER PRIMARY KEY, incident_id TEXT NOT NULL, action TEXT NOT NULL, status TEXT NOT NULL,
    resolution TEXT, actor TEXT NOT NULL, at TEXT NOT NULL, note TEXT NOT NULL, via TEXT NOT NULL,
    count INTEGER NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_triage_incident ON triage (incident_id, seq);
INSERT OR IGNORE INTO chain_head VALUES (1, 0, '{GENESIS_HASH}', 0, '{GENESIS_HASH}');
"""


def _row_values(incident: Incident, expires_at: int | None) -> dict[str, Any]:
    data = incident.to_dict()
    row = {c: (canonical_json(data[c]) if c in _JSON_COLUMNS and data[c] is not None else data[c]) for c in _COLUMNS}
    row.update(
        principal_key=principal_key(incident.principal_arn),
        severity_rank=int(incident.severity),
        expires_at=expires_at,
    )
    return row


def _parse(row: sqlite3.Row) -> tuple[str, Incident | None, bool]:
    """(id, incident or None if the row no longer parses, whether derived columns agree).

    ``expires_at`` is checked by verify against the incident's chain entry, not here.
    """
    try:
        data = {c: (json.loads(row[c]) if c in _JSON_COLUMNS and row[c] is not None else row[c]) for c in _COLUMNS}
        incident = Incident.from_dict(data)
    except (TrailwardenError, ValueError, TypeError, KeyError) as exc:
        log.warning("incident %s is unreadable: %s", row["incident_id"], exc)
        return str(row["incident_id"]), None, False
    index_ok = (
        row["principal_key"] == principal_key(incident.principal_arn)
        and row["severity_rank"] == int(incident.severity)
        and data["severity"] == incident.severity.label
    )
    return incident.incident_id, incident, index_ok


def _incident(row: sqlite3.Row | None) -> Incident | None:
    if row is None:
        return None
    incident_id, incident, _ = _parse(row)
    if incident is None:
        raise StoreError(f"incident {incident_id} is unreadable (run verify)")
    return incident


def _triage(row: sqlite3.Row) -> TriageRecord:
    return TriageRecord.from_dict(dict(row))


def _stored_triage(row: sqlite3.Row) -> StoredTriage:
    """A triage row as verify sees it; one that no longer parses has no digest."""
    try:
        record = _triage(row)
    except (TrailwardenError, ValueError, TypeError, KeyError):
        return StoredTriage(str(row["incident_id"]), int(row["seq"]), None)
    return StoredTriage(record.incident_id, record.seq, record.digest, record.prev, record.hash)


def _entry(row: sqlite3.Row) -> ChainEntry:
    return ChainEntry(**{c: row[c] for c in _ENTRY_COLUMNS})


def _head(conn: sqlite3.Connection) -> ChainHead:
    row = conn.execute("SELECT seq, hash, checkpoint_seq, checkpoint_hash FROM chain_head WHERE id = 1").fetchone()
    if row is None:
        raise StoreError("chain head row is missing")
    return ChainHead(row["seq"], row["hash"], row["checkpoint_seq"], row["checkpoint_hash"])


class _Session:
    """Both session kinds over one connection inside an open transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def head(self) -> ChainHead:
        return _head(self.conn)

    def dedup_target(self, dedup_key: str) -> str | None:
        row = self.conn.execute("SELECT incident_id FROM dedup WHERE dedup_key = ?", (dedup_key,)).fetchone()
        return row["incident_id"] if row else None

    def incident(self, incident_id: str) -> Incident | None:
        row = self.conn.execute("SELECT * FROM incidents WHERE incident_id = ?", (incident_id,)).fetchone()
        return _incident(row)

    def open_group(self, rule: str, group_key: str) -> Incident | None:
        row = self.conn.execute(
            "SELECT incident_id FROM open_groups WHERE rule = ? AND group_key = ?", (rule, group_key)
        ).fetchone()
        return self.incident(row["incident_id"]) if row else None

    def commit(self, plan: RecordPlan) -> None:
        conn, incident = self.conn, plan.incident
        row = _row_values(incident, plan.expires_at)
        try:
            conn.execute("INSERT INTO dedup VALUES (?, ?)", (plan.dedup_key, incident.incident_id))
            if plan.previous is None:
                names, marks = ", ".join(row), ", ".join("?" * len(row))
                conn.execute(f"INSERT INTO incidents ({names}) VALUES ({marks})", tuple(row.values()))
            else:
                sets = ", ".join(f"{c} = :{c}" for c in row if c != "incident_id")
                cur = conn.execute(
                    f"UPDATE incidents SET {sets} WHERE incident_id = :incident_id AND seq = :prev_seq",
                    {**row, "prev_seq": plan.previous.seq},
                )
                if cur.rowcount != 1:
                    raise ChainConflict(f"incident {incident.incident_id} changed under us")
        except sqlite3.IntegrityError as exc:
            raise DuplicateRecord(f"{plan.dedup_key!r} was recorded by another writer") from exc
        self._insert_entry(plan.entry)
        if incident.group_key:
            conn.execute(
                "INSERT OR REPLACE INTO open_groups (rule, group_key, incident_id) VALUES (?, ?, ?)",
                (incident.rule, incident.group_key, incident.incident_id),
            )
        cur = conn.execute(
            "UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1 AND seq = ?",
            (plan.entry.seq, plan.entry.hash, plan.head.seq),
        )
        if cur.rowcount != 1:
            raise ChainConflict(f"chain head moved past seq {plan.head.seq}")

    def triage_history(self, incident_id: str) -> list[TriageRecord]:
        rows = self.conn.execute("SELECT * FROM triage WHERE incident_id = ? ORDER BY seq", (incident_id,))
        return [_triage(r) for r in rows]

    def commit_triage(self, record: TriageRecord, entry: ChainEntry, head: ChainHead) -> None:
        data = record.to_dict()
        self._insert_entry(entry)
        self.conn.execute(f"INSERT INTO triage ({', '.join(data)}) VALUES ({', '.join('?' * len(data))})",
                          tuple(data.values()))  # fmt: skip
        cur = self.conn.execute("UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1 AND seq = ?",
                                (entry.seq, entry.hash, head.seq))  # fmt: skip
        if cur.rowcount != 1:
            raise ChainConflict(f"chain head moved past seq {head.seq}")

    def stored_triage(self) -> Iterator[StoredTriage]:
        for row in self.conn.execute("SELECT * FROM triage ORDER BY seq"):
            yield _stored_triage(row)

    def _insert_entry(self, entry: ChainEntry) -> None:
        data = entry.to_dict()
        try:
            self.conn.execute(f"INSERT INTO chain ({', '.join(data)}) VALUES ({', '.join('?' * len(data))})",
                              tuple(data.values()))  # fmt: skip
        except sqlite3.IntegrityError as exc:
            raise ChainConflict(f"chain seq {entry.seq} already taken") from exc

    def entries_after(self, seq: int) -> Iterator[ChainEntry]:
        for row in self.conn.execute("SELECT * FROM chain WHERE seq > ? ORDER BY seq", (seq,)):
            yield _entry(row)

    def stored_incidents(self) -> Iterator[StoredIncident]:
        for row in self.conn.execute("SELECT * FROM incidents"):
            yield StoredIncident.of(*_parse(row), expires_at=row["expires_at"])

    def delete_incidents(self, plan: PurgePlan) -> list[str]:
        deleted = []
        for incident_id, seq in plan.incidents:
            cur = self.conn.execute("DELETE FROM incidents WHERE incident_id = ? AND seq = ?", (incident_id, seq))
            if cur.rowcount:
                deleted.append(incident_id)
        return deleted

    def append_checkpoint(self, entry: ChainEntry, head: ChainHead) -> None:
        self._insert_entry(entry)
        after = entry.head_after
        cur = self.conn.execute(
            "UPDATE chain_head SET seq = ?, hash = ?, checkpoint_seq = ?, checkpoint_hash = ? WHERE id = 1 AND seq = ?",
            (after.seq, after.hash, after.checkpoint_seq, after.checkpoint_hash, head.seq),
        )
        if cur.rowcount != 1:
            raise ChainConflict(f"chain head moved past seq {head.seq}")

    def truncate(self, plan: PurgePlan, deleted: list[str]) -> None:
        for incident_id in deleted:
            self.conn.execute("DELETE FROM dedup WHERE incident_id = ?", (incident_id,))
            self.conn.execute("DELETE FROM open_groups WHERE incident_id = ?", (incident_id,))
            self.conn.execute("DELETE FROM triage WHERE incident_id = ?", (incident_id,))
        self.conn.execute("DELETE FROM chain WHERE seq <= ?", (plan.checkpoint_seq,))


class SQLiteIncidentStore(ChainedStore):
    """The incident log in one SQLite file. Safe to share a file between processes/threads."""

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30.0, **options: Any) -> None:
        super().__init__(**options)
        self.path = os.fspath(path)
        self._lock = threading.RLock()  # one connection per store; serialise its use across threads
        try:
            self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
            self._conn.row_factory = sqlite3.Row
            if self.path != ":memory:":
                self._conn.execute("PRAGMA journal_mode = WAL")
                self._conn.execute("PRAGMA synchronous = NORMAL")
            with self._transaction(immediate=True) as conn:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open incident store: {exc}", location=self.path) from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _transaction(self, immediate: bool) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
            except sqlite3.OperationalError as exc:  # still locked after ``timeout``: let the caller retry
                raise ChainConflict(f"incident store is busy: {exc}") from exc
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _record_session(self) -> Iterator[_Session]:
        try:
            with self._transaction(immediate=True) as conn:
                yield _Session(conn)
        except sqlite3.Error as exc:
            raise StoreError(f"incident store write failed: {exc}", location=self.path) from exc

    @contextmanager
    def _log_session(self, write: bool) -> Iterator[_Session]:
        try:
            with self._transaction(immediate=write) as conn:
                yield _Session(conn)
        except sqlite3.Error as exc:
            raise StoreError(f"incident store read failed: {exc}", location=self.path) from exc

    def get(self, incident_id: str) -> Incident | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM incidents WHERE incident_id = ?", (incident_id,)).fetchone()
        return _incident(row)

    def triage_history(self, incident_id: str) -> list[TriageRecord]:
        with self._lock:
            return _Session(self._conn).triage_history(incident_id)

    def triage_histories(self) -> dict[str, list[TriageRecord]]:
        out: dict[str, list[TriageRecord]] = {}
        with self._lock:
            for row in self._conn.execute("SELECT * FROM triage ORDER BY seq").fetchall():
                out.setdefault(row["incident_id"], []).append(_triage(row))
        return out

    def query(self, query: IncidentQuery) -> Page:
        sql, args = self.select(query)
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        items = tuple(i for i in (_incident(r) for r in rows[: query.limit]) if i is not None)
        more = len(rows) > query.limit
        token = encode_token(sort_key(format_ts(items[-1].first_seen), items[-1].incident_id)) if more else None
        return Page(items=items, next_token=token)

    @classmethod
    def select(cls, query: IncidentQuery) -> tuple[str, tuple[Any, ...]]:
        """The SQL for one page (one row more than the limit, to know if there is a next page)."""
        where, args = cls._where(query)
        sql = f"SELECT * FROM incidents{' WHERE ' + ' AND '.join(where) if where else ''}"
        return sql + " ORDER BY first_seen DESC, incident_id DESC LIMIT ?", (*args, query.limit + 1)

    @staticmethod
    def _where(query: IncidentQuery) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        args: list[Any] = []
        if query.principal_arn:
            if is_role_arn(query.principal_arn):  # the role and every session of it
                where.append("principal_key = ?")
                args.append(principal_key(query.principal_arn))
            else:
                where.append("principal_arn = ?")
                args.append(query.principal_arn)
        for column, value in (("rule", query.rule), ("account", query.account)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        if query.severity_floor is not None:
            where.append("severity_rank >= ?")
            args.append(int(query.severity_floor))
        if query.since is not None:
            where.append("first_seen >= ?")
            args.append(format_ts(query.since))
        if query.until is not None:
            where.append("first_seen < ?")
            args.append(format_ts(query.until))
        cursor = decode_token(query.next_token)
        if cursor is not None:
            first_seen, incident_id = split_sort_key(cursor)
            where.append("(first_seen < ? OR (first_seen = ? AND incident_id < ?))")
            args += [first_seen, first_seen, incident_id]
        return where, args
