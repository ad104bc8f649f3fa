"""Small operational state beside the incident log: alerts delivered, principals last seen.

This state is deliberately *outside* the hash chain: it changes as alerts are retried and as
principals act, and it is not evidence. Two kinds are kept, both as (kind, name) → time:

* ``alert-claim``: a short-lived claim taken with a conditional write before sending, so two
  concurrent deliveries of one event (it matches several handler families) send one alert.
* ``alerted``: an incident's alert went out. The monitor alerts a ``new`` incident, and on a
  Lambda retry (the record already stored, the alert failed) it alerts any incident that is
  not yet marked, so a failed delivery is retried rather than lost.
* ``revoked`` / ``key-created``: a declared credential's revocation or new key, with a note
  (masked key, incident id), so the other half of a rotation within the hour is linked.
* ``group-closed``: a grouped incident's closing update (final count) was sent.
* ``last-seen``: when a declared principal last acted. Written at most once per principal
  per ``min_interval`` (one conditional write per hour), read by the daily silence check.

SQLite keeps a ``state`` table in the incident file; DynamoDB uses items
``pk = STATE#<kind>``, ``sk = <name>`` in the incident table, so reading one kind is a Query.
"""

from __future__ import annotations

import sqlite3
import threading
from abc import ABC, abstractmethod
from datetime import datetime, timedelta
from typing import Any

from chalicelib.errors import ConfigError, StoreError
from chalicelib.incidents.keys import format_ts, parse_ts, utc
from chalicelib.incidents.serial import serial_writes

ALERTED = "alerted"
ALERT_CLAIM = "alert-claim"
LAST_SEEN = "last-seen"
GROUP_CLOSED = "group-closed"
REVOKED = "revoked"
KEY_CREATED = "key-created"


class StateStore(ABC):
    def __init__(self) -> None:
        self._recent: dict[tuple[str, str], datetime] = {}

    def touch(self, kind: str, name: str, when: datetime, min_interval: timedelta | None = None,
              note: str | None = None) -> bool:
        """Record ``when``; with ``min_interval`` only if the stored time is that much older.

        ``min_interval=None`` writes only when nothing is stored yet (a once-only marker).
        Returns whether it wrote. A per-process cache saves the call when it cannot write.
        """
        when = utc(when)
        cached = self._recent.get((kind, name))
        if cached is not None and (min_interval is None or when - cached < min_interval):
            return False
        wrote = self._touch(kind, name, when, min_interval, note)
        if wrote or min_interval is None:
            self._recent[(kind, name)] = when
        return wrote

    def release(self, kind: str, name: str) -> None:
        """Remove a marker (a claim whose alert failed, so the retry can claim it again)."""
        self._recent.pop((kind, name), None)
        self._delete(kind, name)

    def get(self, kind: str, name: str) -> datetime | None:
        entry = self.entry(kind, name)
        return entry[0] if entry else None

    def all(self, kind: str) -> dict[str, datetime]:
        return {name: at for name, (at, _) in self.entries(kind).items()}

    def entry(self, kind: str, name: str) -> tuple[datetime, str | None] | None:
        return self.entries(kind).get(name)

    @abstractmethod
    def _touch(self, kind: str, name: str, when: datetime, min_interval: timedelta | None,
               note: str | None) -> bool: ...

    @abstractmethod
    def _delete(self, kind: str, name: str) -> None: ...

    @abstractmethod
    def entries(self, kind: str) -> dict[str, tuple[datetime, str | None]]:
        """Every (name → (time, note)) of one kind."""


class SQLiteStateStore(StateStore):
    _SCHEMA = ("CREATE TABLE IF NOT EXISTS state (kind TEXT, name TEXT, at TEXT NOT NULL, note TEXT, "
               "PRIMARY KEY (kind, name))")

    def __init__(self, path: str) -> None:
        super().__init__()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._lock = threading.Lock()
        self._db.execute(self._SCHEMA)

    def _touch(self, kind: str, name: str, when: datetime, min_interval: timedelta | None,
               note: str | None) -> bool:
        at = format_ts(when)
        with self._lock:
            if min_interval is None:
                cur = self._db.execute("INSERT OR IGNORE INTO state VALUES (?, ?, ?, ?)", (kind, name, at, note))
            else:
                cutoff = format_ts(when - min_interval)
                cur = self._db.execute(
                    "INSERT INTO state VALUES (?, ?, ?, ?) ON CONFLICT (kind, name) DO UPDATE SET at = excluded.at, "
                    "note = excluded.note WHERE state.at <= ?", (kind, name, at, note, cutoff))
            return cur.rowcount > 0

    def _delete(self, kind: str, name: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM state WHERE kind = ? AND name = ?", (kind, name))

    def entry(self, kind: str, name: str) -> tuple[datetime, str | None] | None:
        with self._lock:
            row = self._db.execute("SELECT at, note FROM state WHERE kind = ? AND name = ?", (kind, name)).fetchone()
        at = parse_ts(row[0]) if row else None
        return (at, row[1]) if at is not None else None

    def entries(self, kind: str) -> dict[str, tuple[datetime, str | None]]:
        with self._lock:
            rows = self._db.execute("SELECT name, at, note FROM state WHERE kind = ?", (kind,)).fetchall()
        return {name: (parse_ts(at), note) for name, at, note in rows if parse_ts(at) is not None}  # type: ignore[misc]


class DynamoDBStateStore(StateStore):
    def __init__(self, table: str, client: Any = None) -> None:
        super().__init__()
        self.table = table
        self._client = serial_writes(client)

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            try:
                self._client = serial_writes(boto3.client("dynamodb", config=Config(retries={"mode": "standard"})))
            except Exception as err:  # noqa: BLE001 - no region, a bad profile: said with the table
                raise self._failure("cannot open the state", err) from None
        return self._client

    def _failure(self, doing: str, err: Exception) -> StoreError:
        """A StoreError naming the table and, for an AWS failure, how to fix it (``awserrors``)."""
        from chalicelib.awserrors import aws_error

        region = self._client.meta.region_name if self._client is not None else None
        aws = aws_error(err, resource=f"DynamoDB table {self.table!r}", region=region)
        return StoreError(f"{doing}: {aws if aws is not None else err}", f"dynamodb://{self.table}")

    def _touch(self, kind: str, name: str, when: datetime, min_interval: timedelta | None,
               note: str | None) -> bool:
        condition = "attribute_not_exists(pk)"
        values: dict[str, Any] = {}
        if min_interval is not None:
            condition += " OR #at <= :cutoff"
            values[":cutoff"] = {"S": format_ts(when - min_interval)}
        client = self.client
        try:
            client.put_item(
                TableName=self.table,
                Item={"pk": {"S": f"STATE#{kind}"}, "sk": {"S": name}, "at": {"S": format_ts(when)},
                      **({"note": {"S": note}} if note else {})},
                ConditionExpression=condition,
                ExpressionAttributeNames={"#at": "at"} if values else {},
                **({"ExpressionAttributeValues": values} if values else {}),
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        except Exception as err:  # noqa: BLE001 - botocore errors become store errors with the table name
            raise self._failure(f"cannot write state {kind}/{name}", err) from None
        return True

    def _delete(self, kind: str, name: str) -> None:
        try:
            self.client.delete_item(TableName=self.table, Key={"pk": {"S": f"STATE#{kind}"}, "sk": {"S": name}})
        except Exception as err:  # noqa: BLE001 - botocore errors become store errors with the table name
            raise self._failure(f"cannot delete state {kind}/{name}", err) from None

    def entry(self, kind: str, name: str) -> tuple[datetime, str | None] | None:
        """One strongly consistent GetItem: a marker another container just wrote is seen, and the
        cost does not grow with the ledger (``alerted`` gains one item per incident)."""
        try:
            item = self.client.get_item(
                TableName=self.table, Key={"pk": {"S": f"STATE#{kind}"}, "sk": {"S": name}}, ConsistentRead=True,
            ).get("Item")
        except Exception as err:  # noqa: BLE001 - botocore errors become store errors with the table name
            raise self._failure(f"cannot read state {kind}/{name}", err) from None
        at = parse_ts(item.get("at", {}).get("S")) if item else None
        return (at, item.get("note", {}).get("S")) if at is not None else None  # type: ignore[union-attr]

    def entries(self, kind: str) -> dict[str, tuple[datetime, str | None]]:
        out: dict[str, tuple[datetime, str | None]] = {}
        try:
            pages = list(self.client.get_paginator("query").paginate(
                TableName=self.table, KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"STATE#{kind}"}}))
        except Exception as err:  # noqa: BLE001 - botocore errors become store errors with the table name
            raise self._failure(f"cannot read state {kind}", err) from None
        for page in pages:
            for item in page.get("Items", []):
                at = parse_ts(item.get("at", {}).get("S"))
                if at is not None:
                    out[item["sk"]["S"]] = (at, item.get("note", {}).get("S"))
        return out


def open_state(url: str) -> StateStore:
    """The state store that lives beside the incident store ``url``."""
    if url.startswith("sqlite:///"):
        from chalicelib.incidents.factory import sqlite_path

        return SQLiteStateStore(sqlite_path(url))
    if url.startswith("dynamodb://"):
        return DynamoDBStateStore(url.removeprefix("dynamodb://").strip("/"))
    raise ConfigError(f"unsupported store URL {url!r}")
