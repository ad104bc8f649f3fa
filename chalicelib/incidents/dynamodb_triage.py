"""Triage records on DynamoDB (``triage.py``): one transaction per status change, reads by incident.

A record is written with its chain entry and the head update in one ``TransactWriteItems``,
conditional on the head seq the writer read (a lost race is a ``ChainConflict``, retried by
``ChainedStore.triage``). An incident's history is one ``Query`` on its ``TRIAGE#`` partition;
every history at once (reports, status filters) is a ``Scan`` filtered on ``kind``.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import ChainConflict
from chalicelib.incidents.chain import ChainEntry, ChainHead
from chalicelib.incidents.dynamodb_schema import (
    CHAIN_PK,
    HEAD_SK,
    deserialize,
    entry_item,
    serialize,
    triage_from_item,
    triage_item,
    triage_pk,
)
from chalicelib.incidents.triage import TriageRecord

RETRYABLE = {"TransactionConflictException", "TransactionInProgressException"}
HEAD_KEY = {"pk": CHAIN_PK, "sk": HEAD_SK}


def error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def transact_on_head(store: Any, items: list[dict[str, Any]], head: ChainHead) -> None:
    """Write ``items`` (the last one conditional on the head seq read) in one transaction; a lost
    race or a transaction conflict is a ``ChainConflict`` (the caller reads again), any other
    ``ClientError`` is raised as it is."""
    try:
        store.client.transact_write_items(TransactItems=items)
    except store.client.exceptions.TransactionCanceledException as exc:
        raise ChainConflict(f"chain head moved past seq {head.seq}") from exc
    except ClientError as exc:
        if error_code(exc) in RETRYABLE:
            raise ChainConflict(f"transaction conflict: {exc}") from exc
        raise


def commit_triage(store: Any, record: TriageRecord, entry: ChainEntry, head: ChainHead) -> None:
    """The record, its entry and the head in one transaction, conditional on the head seq."""
    update = {
        "TableName": store.table_name,
        "Key": serialize(HEAD_KEY),
        "UpdateExpression": "SET #seq = :seq, #hash = :hash",
        "ConditionExpression": "#seq = :expected",
        "ExpressionAttributeNames": {"#seq": "seq", "#hash": "hash"},
        "ExpressionAttributeValues": serialize({":seq": entry.seq, ":hash": entry.hash, ":expected": head.seq}),
    }
    items = [store._put(triage_item(record), "attribute_not_exists(pk)"),
             store._put(entry_item(entry), "attribute_not_exists(pk)"), {"Update": update}]  # fmt: skip
    try:
        transact_on_head(store, items, head)
    except ClientError as exc:
        raise store.failure("cannot write the incident log", exc) from exc


class DynamoTriage:
    """The store's triage reads (mixed into ``DynamoDBIncidentStore``, which supplies the client)."""

    table_name: str
    client: Any

    def failure(self, doing: str, exc: Exception) -> Exception: ...  # pragma: no cover - the store's
    def _scan_kind(self, kind: str) -> Any: ...  # pragma: no cover - the store's

    def triage_history(self, incident_id: str) -> list[TriageRecord]:
        try:
            pages = self.client.get_paginator("query").paginate(
                TableName=self.table_name, KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues=serialize({":pk": triage_pk(incident_id)}), ConsistentRead=True,
            )  # fmt: skip
            return [triage_from_item(deserialize(i)) for page in pages for i in page.get("Items", [])]
        except (ClientError, BotoCoreError) as exc:
            raise self.failure("cannot read triage history", exc) from exc

    def triage_histories(self) -> dict[str, list[TriageRecord]]:
        out: dict[str, list[TriageRecord]] = {}
        try:
            records = sorted((triage_from_item(i) for i in self._scan_kind("triage")), key=lambda r: r.seq)
        except (ClientError, BotoCoreError) as exc:
            raise self.failure("cannot read triage records", exc) from exc
        for record in records:
            out.setdefault(record.incident_id, []).append(record)
        return out
