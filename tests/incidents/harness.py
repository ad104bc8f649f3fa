"""One harness per backend: opens store objects on shared storage and tampers with it raw.

Tampering goes around the store on purpose (sqlite3 statements, boto3 item writes): that
is what an attacker with storage access would do, and what ``verify`` must catch.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import boto3

from chalicelib.incidents.dynamodb import DynamoDBIncidentStore
from chalicelib.incidents.dynamodb_schema import CHAIN_PK, HEAD_SK, INCIDENT_SK, entry_sk, incident_pk
from chalicelib.incidents.sqlite import SQLiteIncidentStore

TABLE = "trailwarden-incidents-test"
REGION = "us-east-1"
# One boto3 session for every test client: it keeps botocore's parsed service models, which
# mock_aws would otherwise drop (with the default session) and reload for each test.
SESSION = boto3.session.Session()


def new_client() -> Any:
    return SESSION.client("dynamodb", region_name=REGION)


class SQLiteHarness:
    name = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path

    def open(self, **options: Any) -> SQLiteIncidentStore:
        return SQLiteIncidentStore(self.path, **options)

    def _run(self, *statements: tuple[str, tuple[Any, ...]]) -> None:
        with sqlite3.connect(self.path, timeout=30) as conn:
            for sql, args in statements:
                conn.execute(sql, args)

    def set_field(self, incident_id: str, field: str, value: Any) -> None:
        self._run((f"UPDATE incidents SET {field} = ? WHERE incident_id = ?", (value, incident_id)))

    def delete_incident(self, incident_id: str) -> None:
        self._run(("DELETE FROM incidents WHERE incident_id = ?", (incident_id,)))

    def delete_entry(self, seq: int) -> None:
        self._run(("DELETE FROM chain WHERE seq = ?", (seq,)))

    def set_entry_field(self, seq: int, field: str, value: Any) -> None:
        self._run((f"UPDATE chain SET {field} = ? WHERE seq = ?", (value, seq)))

    def delete_entries_through(self, seq: int) -> None:
        self._run(("DELETE FROM chain WHERE seq <= ?", (seq,)))

    def move_checkpoint(self, seq: int) -> None:
        """Point the head's checkpoint at entry ``seq`` (which must still exist)."""
        self._run(
            (
                "UPDATE chain_head SET checkpoint_seq = ?, checkpoint_hash = (SELECT hash FROM chain WHERE seq = ?)",
                (seq, seq),
            )
        )

    def swap_entries(self, a: int, b: int) -> None:
        self._run(
            ("UPDATE chain SET seq = -1 WHERE seq = ?", (a,)),
            ("UPDATE chain SET seq = ? WHERE seq = ?", (a, b)),
            ("UPDATE chain SET seq = ? WHERE seq = -1", (b,)),
        )

    def insert_copy(self, source_id: str, new_id: str) -> None:
        with sqlite3.connect(self.path, timeout=30) as conn:
            conn.row_factory = sqlite3.Row
            row = dict(conn.execute("SELECT * FROM incidents WHERE incident_id = ?", (source_id,)).fetchone())
            row["incident_id"] = new_id
            conn.execute(
                f"INSERT INTO incidents ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values())
            )


class DynamoHarness:
    """moto applies a transaction item by item without a lock, while real DynamoDB is atomic
    per request; the stores it opens therefore hold one shared lock for each request (via
    botocore's event hooks), so concurrent tests exercise our code, not moto's races."""

    name = "dynamodb"

    def __init__(self, client: Any) -> None:
        self.client = client
        self.request_lock = threading.Lock()

    def new_client(self, atomic: bool = True) -> Any:
        client = new_client()
        if atomic:
            lock = self.request_lock
            client.meta.events.register("before-call.dynamodb", lambda **_: lock.acquire() and None)
            client.meta.events.register("after-call.dynamodb", lambda **_: lock.release())
            client.meta.events.register("after-call-error.dynamodb", lambda **_: lock.release())
        return client

    def open(self, **options: Any) -> DynamoDBIncidentStore:
        return DynamoDBIncidentStore(TABLE, client=self.new_client(), **options)

    def _key(self, incident_id: str) -> dict[str, Any]:
        return {"pk": {"S": incident_pk(incident_id)}, "sk": {"S": INCIDENT_SK}}

    def set_field(self, incident_id: str, field: str, value: Any) -> None:
        typed = {"N": str(value)} if isinstance(value, int) else {"S": value}
        self.client.update_item(
            TableName=TABLE,
            Key=self._key(incident_id),
            UpdateExpression="SET #f = :v",
            ExpressionAttributeNames={"#f": field},
            ExpressionAttributeValues={":v": typed},
        )

    def delete_incident(self, incident_id: str) -> None:
        self.client.delete_item(TableName=TABLE, Key=self._key(incident_id))

    def delete_entry(self, seq: int) -> None:
        self.client.delete_item(TableName=TABLE, Key={"pk": {"S": CHAIN_PK}, "sk": {"S": entry_sk(seq)}})

    def _entry(self, seq: int) -> dict[str, Any]:
        key = {"pk": {"S": CHAIN_PK}, "sk": {"S": entry_sk(seq)}}
        return self.client.get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"]

    def set_entry_field(self, seq: int, field: str, value: Any) -> None:
        name = {"expires_at": "incident_expires_at", "kind": "entry_kind"}.get(field, field)
        typed = {"N": str(value)} if isinstance(value, int) else {"S": value}
        self.client.update_item(
            TableName=TABLE,
            Key={"pk": {"S": CHAIN_PK}, "sk": {"S": entry_sk(seq)}},
            UpdateExpression="SET #f = :v",
            ExpressionAttributeNames={"#f": name},
            ExpressionAttributeValues={":v": typed},
        )

    def delete_entries_through(self, seq: int) -> None:
        for n in range(1, seq + 1):
            self.delete_entry(n)

    def move_checkpoint(self, seq: int) -> None:
        """Point the head's checkpoint at entry ``seq`` (which must still exist)."""
        self.client.update_item(
            TableName=TABLE,
            Key={"pk": {"S": CHAIN_PK}, "sk": {"S": HEAD_SK}},
            UpdateExpression="SET checkpoint_seq = :s, checkpoint_hash = :h",
            ExpressionAttributeValues={":s": {"N": str(seq)}, ":h": self._entry(seq)["hash"]},
        )

    def swap_entries(self, a: int, b: int) -> None:
        item_a, item_b = self._entry(a), self._entry(b)
        for item, seq in ((item_a, b), (item_b, a)):
            self.client.put_item(TableName=TABLE, Item={**item, "sk": {"S": entry_sk(seq)}, "seq": {"N": str(seq)}})

    def insert_copy(self, source_id: str, new_id: str) -> None:
        item = self.client.get_item(TableName=TABLE, Key=self._key(source_id), ConsistentRead=True)["Item"]
        forged = {**item, "pk": {"S": incident_pk(new_id)}, "incident_id": {"S": new_id}}
        self.client.put_item(TableName=TABLE, Item=forged)


Harness = SQLiteHarness | DynamoHarness
