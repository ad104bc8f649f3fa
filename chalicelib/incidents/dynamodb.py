"""DynamoDB backend: the incident log as deployed (one table, see ``dynamodb_schema``).

A record is one ``TransactWriteItems``: the dedup marker (``attribute_not_exists``), the
incident (new: ``attribute_not_exists``; grouped: ``seq`` unchanged), the chain entry
(``attribute_not_exists``), the group pointer, and the head update conditioned on the seq
the writer read — all land or none do. ``TransactionCanceledException`` reasons are
translated: a failed marker (or new-incident) condition means another delivery of the same
event won (→ "duplicate"), anything else means the head moved (→ ``ChainConflict``, retried
by ``ChainedStore``). Reads before the transaction are strongly consistent ``GetItem``s.

Queries use ``Query`` on a GSI only (``dynamodb_query``). ``verify`` and ``purge`` read
the chain with a ``Query`` on the ``CHAIN`` partition and enumerate incidents with a
paginated ``Scan`` filtered on ``kind`` — deliberately: an item inserted by hand with odd
index attributes would be invisible to any index, and verify must see it. Both are
auditor/maintenance operations, not the request path. Purge on DynamoDB is not one
transaction (it may touch thousands of items); it deletes incidents (each conditional on
its seq, so a concurrent group update wins), then appends the checkpoint entry and moves the
head and its checkpoint in one transaction (conditional on the head seq, retried like a
record), then deletes the chain prefix and markers; re-running it finishes an interrupted purge.

The boto3 client is created on first use (never at import), honouring the default
credential chain and region and ``AWS_ENDPOINT_URL``/``AWS_ENDPOINT_URL_DYNAMODB``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ConnectionClosedError, ReadTimeoutError

from chalicelib.awserrors import aws_error
from chalicelib.errors import ChainConflict, StoreError
from chalicelib.incidents.chain import GENESIS_HASH, ChainEntry, ChainHead, StoredIncident
from chalicelib.incidents.chained import ChainedStore, DuplicateRecord
from chalicelib.incidents.dynamodb_query import run_query
from chalicelib.incidents.dynamodb_schema import (
    CHAIN_PK,
    INCIDENT_SK,
    dedup_pk,
    deserialize,
    entry_from_item,
    entry_item,
    entry_sk,
    group_pk,
    incident_item,
    incident_pk,
    parse_incident,
    serialize,
    stored_incident,
    stored_triage,
    table_definition,
    ttl_specification,
    value,
)
from chalicelib.incidents.dynamodb_triage import (
    HEAD_KEY,
    RETRYABLE,
    DynamoTriage,
    commit_triage,
    error_code,
    transact_on_head,
)
from chalicelib.incidents.grouping import RecordPlan
from chalicelib.incidents.keys import format_ts, month_of
from chalicelib.incidents.retention import PurgePlan
from chalicelib.incidents.serial import serial_writes
from chalicelib.incidents.store import Incident, IncidentQuery, Page
from chalicelib.incidents.triage import TriageRecord
from chalicelib.incidents.triage_verify import StoredTriage

__all__ = ["DynamoDBIncidentStore", "table_definition", "ttl_specification"]

# The request went out and its answer was lost: the write may have landed. The record is retried
# from its reads, which find the dedup marker if it did (and the outcome is "duplicate").
_NO_ANSWER = (ReadTimeoutError, ConnectionClosedError)


class _Session:
    """Record and log sessions: plain reads, then one transaction (record) or a purge pass."""

    def __init__(self, store: DynamoDBIncidentStore) -> None:
        self.store = store
        self.head_item: dict[str, Any] = {}

    def head(self) -> ChainHead:
        item = self.head_item = self.store._get(HEAD_KEY) or {}
        return ChainHead(
            seq=int(item.get("seq", 0)),
            hash=str(item.get("hash", GENESIS_HASH)),
            checkpoint_seq=int(item.get("checkpoint_seq", 0)),
            checkpoint_hash=str(item.get("checkpoint_hash", GENESIS_HASH)),
        )

    def dedup_target(self, dedup_key: str) -> str | None:
        item = self.store._get({"pk": dedup_pk(dedup_key), "sk": "DEDUP"})
        return str(item["incident_id"]) if item else None

    def incident(self, incident_id: str) -> Incident | None:
        return self.store.get(incident_id)

    def open_group(self, rule: str, group_key: str) -> Incident | None:
        item = self.store._get({"pk": group_pk(rule, group_key), "sk": "GROUP"})
        return self.incident(str(item["incident_id"])) if item else None

    def commit(self, plan: RecordPlan) -> None:
        store, incident = self.store, plan.incident
        ttl = {"expires_at": plan.expires_at} if plan.expires_at is not None else {}
        marker = {"pk": dedup_pk(plan.dedup_key), "sk": "DEDUP", "kind": "dedup", "incident_id": incident.incident_id}
        items: list[dict[str, Any]] = [
            store._put({**marker, **ttl}, "attribute_not_exists(pk)"),
            store._put(incident_item(incident, plan.expires_at), "attribute_not_exists(pk)")
            if plan.previous is None
            else store._put(incident_item(incident, plan.expires_at), "#seq = :prev", {":prev": plan.previous.seq}),
            store._put(entry_item(plan.entry), "attribute_not_exists(pk)"),
        ]
        if incident.group_key:
            pointer = {"pk": group_pk(incident.rule, incident.group_key), "sk": "GROUP", "kind": "group"}
            items.append(store._put({**pointer, "incident_id": incident.incident_id, **ttl}))
        items.append(self._advance_head(plan))
        try:
            store.client.transact_write_items(TransactItems=items)
        except store.client.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if reasons[:1] == ["ConditionalCheckFailed"] or (
                plan.previous is None and reasons[1:2] == ["ConditionalCheckFailed"]
            ):
                raise DuplicateRecord(f"{plan.dedup_key!r} was recorded by another writer") from exc
            raise ChainConflict(f"chain head moved past seq {plan.head.seq}: {reasons}") from exc
        except ClientError as exc:
            if error_code(exc) in RETRYABLE:
                raise ChainConflict(f"transaction conflict: {exc}") from exc
            raise store.failure("cannot write the incident log", exc) from exc
        except _NO_ANSWER as exc:  # sent, but no answer: it may have landed, so read again before writing
            raise ChainConflict(f"no answer to the transaction, reading again: {type(exc).__name__}") from exc
        except BotoCoreError as exc:
            raise store.failure("cannot write the incident log", exc) from exc

    def triage_history(self, incident_id: str) -> list[TriageRecord]:
        return self.store.triage_history(incident_id)

    def commit_triage(self, record: TriageRecord, entry: ChainEntry, head: ChainHead) -> None:
        commit_triage(self.store, record, entry, head)

    def stored_triage(self) -> Iterator[StoredTriage]:
        for item in self.store._scan_kind("triage"):
            yield stored_triage(item)

    def _advance_head(self, plan: RecordPlan) -> dict[str, Any]:
        month = month_of(format_ts(plan.incident.first_seen))
        oldest = min(month, str(self.head_item.get("min_month") or month))
        newest = max(month, str(self.head_item.get("max_month") or month))
        update: dict[str, Any] = {
            "TableName": self.store.table_name,
            "Key": serialize(HEAD_KEY),
            "UpdateExpression": "SET #seq = :seq, #hash = :hash, #kind = :kind, min_month = :min, max_month = :max",
            "ExpressionAttributeNames": {"#seq": "seq", "#hash": "hash", "#kind": "kind"},
            "ExpressionAttributeValues": serialize(
                {":seq": plan.entry.seq, ":hash": plan.entry.hash, ":kind": "head", ":min": oldest, ":max": newest}
            ),
        }
        if plan.head.seq == 0 and not self.head_item:
            update["ConditionExpression"] = "attribute_not_exists(#seq)"
        else:
            update["ConditionExpression"] = "#seq = :expected"
            update["ExpressionAttributeValues"][":expected"] = value(plan.head.seq)
        return {"Update": update}

    def entries_after(self, seq: int) -> Iterator[ChainEntry]:
        for item in self.store._chain_items(seq + 1, 10**12 - 1):
            yield entry_from_item(item)

    def stored_incidents(self) -> Iterator[StoredIncident]:
        for item in self.store._scan_kind("incident"):
            yield stored_incident(item)

    def delete_incidents(self, plan: PurgePlan) -> list[str]:
        store, deleted = self.store, []
        for incident_id, seq in plan.incidents:
            try:
                store.client.delete_item(
                    TableName=store.table_name,
                    Key=serialize({"pk": incident_pk(incident_id), "sk": INCIDENT_SK}),
                    ConditionExpression="#seq = :seq",
                    ExpressionAttributeNames={"#seq": "seq"},
                    ExpressionAttributeValues={":seq": value(seq)},
                )
                deleted.append(incident_id)
            except store.client.exceptions.ConditionalCheckFailedException:
                continue  # grouped into meanwhile: it survives, its new entry lies past the checkpoint
        return deleted

    def append_checkpoint(self, entry: ChainEntry, head: ChainHead) -> None:
        """The checkpoint entry and the head (tip and checkpoint) in one transaction."""
        store, after = self.store, entry.head_after
        values = {":seq": after.seq, ":hash": after.hash, ":expected": head.seq}
        values |= {":cs": after.checkpoint_seq, ":ch": after.checkpoint_hash}
        update = {
            "TableName": store.table_name,
            "Key": serialize(HEAD_KEY),
            "UpdateExpression": "SET #seq = :seq, #hash = :hash, checkpoint_seq = :cs, checkpoint_hash = :ch",
            "ConditionExpression": (
                "#seq = :expected AND (attribute_not_exists(checkpoint_seq) OR checkpoint_seq < :cs)"
            ),
            "ExpressionAttributeNames": {"#seq": "seq", "#hash": "hash"},
            "ExpressionAttributeValues": serialize(values),
        }
        transact_on_head(store, [store._put(entry_item(entry), "attribute_not_exists(pk)"), {"Update": update}], head)

    def truncate(self, plan: PurgePlan, deleted: list[str]) -> None:
        store, gone = self.store, set(deleted)
        doomed = [{"pk": i["pk"], "sk": i["sk"]} for i in store._chain_items(0, plan.checkpoint_seq or 0)]
        for kind in ("dedup", "group", "triage"):
            pointers = (i for i in store._scan_kind(kind) if i.get("incident_id") in gone)
            doomed += [{"pk": i["pk"], "sk": i["sk"]} for i in pointers]
        store._delete_keys(doomed)


class DynamoDBIncidentStore(DynamoTriage, ChainedStore):
    """The incident log in one DynamoDB table (create it from ``table_definition``)."""

    def __init__(
        self,
        table_name: str,
        *,
        client: Any | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        retention_days: int | None = 400,
        **options: Any,
    ) -> None:
        super().__init__(retention_days=retention_days, **options)
        self.table_name = table_name
        self._client = serial_writes(client)
        self._region_name = region_name
        self._endpoint_url = endpoint_url

    @property
    def client(self) -> Any:
        """Created on first use so importing the module (or a cold start) makes no AWS call."""
        if self._client is None:
            import boto3

            endpoint = (
                self._endpoint_url
                or os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
                or os.environ.get("AWS_ENDPOINT_URL")
                or None
            )
            try:
                self._client = serial_writes(
                    boto3.client("dynamodb", region_name=self._region_name, endpoint_url=endpoint))
            except BotoCoreError as exc:  # no region, a bad profile: say so, with the table
                raise self.failure("cannot open the incident log", exc) from None
        return self._client

    def failure(self, doing: str, exc: Exception) -> StoreError:
        """A StoreError that says what failed and, for an AWS failure, how to fix it (``awserrors``)."""
        region = self._client.meta.region_name if self._client is not None else self._region_name
        aws = aws_error(exc, resource=f"DynamoDB table {self.table_name!r}", region=region)
        return StoreError(f"{doing}: {aws if aws is not None else exc}", location=f"dynamodb://{self.table_name}")

    # -- low-level helpers ---------------------------------------------------------------
    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        try:
            response = self.client.get_item(TableName=self.table_name, Key=serialize(key), ConsistentRead=True)
        except (ClientError, BotoCoreError) as exc:
            raise self.failure("cannot read the incident log", exc) from exc
        item = response.get("Item")
        return deserialize(item) if item else None

    def _put(
        self, item: dict[str, Any], condition: str | None = None, values: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self.table_name, "Item": serialize(item)}
        if condition:
            put["ConditionExpression"] = condition
            if "#seq" in condition:
                put["ExpressionAttributeNames"] = {"#seq": "seq"}
            if values:
                put["ExpressionAttributeValues"] = serialize(values)
        return {"Put": put}

    def _chain_items(self, first_seq: int, last_seq: int) -> Iterator[dict[str, Any]]:
        """Chain entries in seq order: a Query on the CHAIN partition."""
        paginator = self.client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues=serialize(
                {":pk": CHAIN_PK, ":lo": entry_sk(max(first_seq, 0)), ":hi": entry_sk(last_seq)}
            ),
            ConsistentRead=True,
        ):
            for item in page.get("Items", []):
                yield deserialize(item)

    def _scan_kind(self, kind: str) -> Iterator[dict[str, Any]]:
        """Every item of one kind — verify/purge only (see module docstring)."""
        paginator = self.client.get_paginator("scan")
        for page in paginator.paginate(
            TableName=self.table_name,
            FilterExpression="#kind = :kind",
            ExpressionAttributeNames={"#kind": "kind"},
            ExpressionAttributeValues={":kind": value(kind)},
            ConsistentRead=True,
        ):
            for item in page.get("Items", []):
                yield deserialize(item)

    def _delete_keys(self, keys: list[dict[str, Any]]) -> None:
        for start in range(0, len(keys), 25):
            requests = [{"DeleteRequest": {"Key": serialize(k)}} for k in keys[start : start + 25]]
            pending: dict[str, Any] = {self.table_name: requests}
            for _ in range(8):
                pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                if not pending:
                    break
            else:
                raise StoreError("purge could not delete every item; run purge again",
                                 location=f"dynamodb://{self.table_name}")

    @contextmanager
    def _session(self) -> Iterator[_Session]:
        try:
            yield _Session(self)
        except (ClientError, BotoCoreError) as exc:
            if error_code(exc) in RETRYABLE:
                raise ChainConflict(f"transaction conflict: {exc}") from exc
            raise self.failure("cannot use the incident log", exc) from exc

    def _record_session(self) -> Any:
        return self._session()

    def _log_session(self, write: bool) -> Any:
        return self._session()

    # -- IncidentStore ---------------------------------------------------------------------
    def get(self, incident_id: str) -> Incident | None:
        item = self._get({"pk": incident_pk(incident_id), "sk": INCIDENT_SK})
        if item is None:
            return None
        _, incident, _ = parse_incident(item)
        if incident is None:
            raise StoreError(f"incident {incident_id} is unreadable (run verify)", location=f"dynamodb://{self.table_name}")
        return incident

    def query(self, query: IncidentQuery) -> Page:
        head = self._get(HEAD_KEY) or {}
        months = (str(head["min_month"]), str(head["max_month"])) if head.get("min_month") else None
        try:
            return run_query(self.client, self.table_name, query, months)
        except (ClientError, BotoCoreError) as exc:
            raise self.failure("cannot query the incident log", exc) from exc
