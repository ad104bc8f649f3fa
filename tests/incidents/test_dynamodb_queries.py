"""The DynamoDB read path uses ``Query`` on the right GSI and never ``Scan``.

The guard is injected through botocore's own event system on the store's client (a
``before-call`` hook that fails any Scan), not by patching our code.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from chalicelib.findings import Severity
from chalicelib.incidents import IncidentQuery
from chalicelib.incidents.dynamodb import DynamoDBIncidentStore

from .factories import ACCOUNT, ROLE_ARN, SESSION_ARN, USER_ARN, at, make_finding
from .harness import TABLE, new_client


class ScanForbidden(AssertionError):
    pass


@dataclass
class Calls:
    """What the store asked DynamoDB for: operations, and each Query's index and partition."""

    operations: list[str] = field(default_factory=list)
    queries: list[tuple[str | None, str]] = field(default_factory=list)

    def clear(self) -> None:
        self.operations.clear()
        self.queries.clear()


@pytest.fixture
def spied(aws: Any) -> tuple[DynamoDBIncidentStore, Calls]:
    client = new_client()
    calls = Calls()

    def forbid_scan(**_: Any) -> None:
        raise ScanForbidden("Scan on the incident query path")

    def note_operation(model: Any, **_: Any) -> None:
        calls.operations.append(model.name)

    def note_query(params: dict[str, Any], **_: Any) -> None:
        partition = params["ExpressionAttributeValues"][":h"]["S"]
        calls.queries.append((params.get("IndexName"), partition))

    client.meta.events.register("before-call.dynamodb.Scan", forbid_scan)
    client.meta.events.register("before-call.dynamodb", note_operation)
    client.meta.events.register("before-parameter-build.dynamodb.Query", note_query)
    store = DynamoDBIncidentStore(TABLE, client=client)
    rows = [
        ("e1", at(1), "root-api-use", Severity.CRITICAL, SESSION_ARN, ACCOUNT),
        ("e2", at(2), "iam-delete-user", Severity.LOW, USER_ARN, "111122223333"),
        ("e3", at(3), "root-api-use", Severity.MEDIUM, ROLE_ARN, ACCOUNT),
        ("e4", at(days=-35), "root-api-use", Severity.HIGH, USER_ARN, ACCOUNT),
        ("e5", at(days=-70), "iam-create-access-key", Severity.HIGH, SESSION_ARN, ACCOUNT),
    ]
    for event_id, when, rule, severity, arn, account in rows:
        store.record(
            make_finding(event_id, when=when, rule=rule, severity=severity, principal_arn=arn, account=account)
        )
    return store, calls


def found(store: DynamoDBIncidentStore, **criteria: Any) -> list[str]:
    return [i.event_id or "" for i in store.iter_all(IncidentQuery(limit=1000, **criteria))]


def test_recording_reads_with_get_item_and_writes_one_transaction(spied: tuple[DynamoDBIncidentStore, Calls]) -> None:
    store, calls = spied
    calls.clear()
    store.record(make_finding("e9", when=at(9)))
    assert set(calls.operations) == {"GetItem", "TransactWriteItems"}
    assert calls.operations.count("TransactWriteItems") == 1


def test_query_by_principal_reads_only_the_principal_index(spied: tuple[DynamoDBIncidentStore, Calls]) -> None:
    store, calls = spied
    calls.clear()
    assert found(store, principal_arn=USER_ARN) == ["e2", "e4"]
    assert calls.queries == [("gsi_principal", USER_ARN)]
    assert "Scan" not in calls.operations


def test_query_by_session_arn_reads_its_role_partition_and_filters_exactly(
    spied: tuple[DynamoDBIncidentStore, Calls],
) -> None:
    store, calls = spied
    calls.clear()
    assert found(store, principal_arn=SESSION_ARN) == ["e1", "e5"]
    assert calls.queries == [("gsi_principal", ROLE_ARN)]


def test_query_by_role_arn_reads_one_role_partition(spied: tuple[DynamoDBIncidentStore, Calls]) -> None:
    store, calls = spied
    calls.clear()
    assert found(store, principal_arn=ROLE_ARN) == ["e3", "e1", "e5"]
    assert calls.queries == [("gsi_principal", ROLE_ARN)]


def test_query_by_rule_reads_the_rule_index(spied: tuple[DynamoDBIncidentStore, Calls]) -> None:
    store, calls = spied
    calls.clear()
    assert found(store, rule="root-api-use", min_severity="high") == ["e1", "e4"]
    assert calls.queries == [("gsi_rule", "root-api-use")]


def test_query_by_account_reads_the_account_index(spied: tuple[DynamoDBIncidentStore, Calls]) -> None:
    store, calls = spied
    calls.clear()
    assert found(store, account="111122223333") == ["e2"]
    assert calls.queries == [("gsi_account", "111122223333")]


def test_an_unfiltered_query_reads_month_partitions_newest_first(spied: tuple[DynamoDBIncidentStore, Calls]) -> None:
    store, calls = spied
    calls.clear()
    assert found(store) == ["e3", "e2", "e1", "e4", "e5"]
    assert calls.queries == [("gsi_time", "T#2026-11"), ("gsi_time", "T#2026-10"), ("gsi_time", "T#2026-09")]


def test_since_and_until_limit_the_months_read(spied: tuple[DynamoDBIncidentStore, Calls]) -> None:
    store, calls = spied
    calls.clear()
    assert found(store, since=at(days=-40), until=at(days=-30)) == ["e4"]
    assert calls.queries == [("gsi_time", "T#2026-10")]


def test_paging_the_time_index_resumes_without_scanning(spied: tuple[DynamoDBIncidentStore, Calls]) -> None:
    store, calls = spied
    calls.clear()
    query, seen = IncidentQuery(limit=2), []
    while True:
        page = store.query(query)
        seen += [i.event_id for i in page.items]
        if page.next_token is None:
            break
        query = replace(query, next_token=page.next_token)
    assert seen == ["e3", "e2", "e1", "e4", "e5"]
    assert {q[0] for q in calls.queries} == {"gsi_time"} and "Scan" not in calls.operations


def test_the_guard_is_live_verify_is_the_documented_scanner(spied: tuple[DynamoDBIncidentStore, Calls]) -> None:
    store, _ = spied
    with pytest.raises(ScanForbidden):
        store.verify()
