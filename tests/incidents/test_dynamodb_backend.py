"""DynamoDB-only behaviour: table definition, TTL and pruning, transaction reason translation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from chalicelib.errors import ChainConflict
from chalicelib.incidents.chained import DuplicateRecord
from chalicelib.incidents.dynamodb import DynamoDBIncidentStore, table_definition, ttl_specification
from chalicelib.incidents.grouping import plan_record
from chalicelib.incidents.keys import epoch

from .factories import T0, at, make_finding
from .harness import TABLE, DynamoHarness


def test_table_definition_has_string_keys_four_gsis_and_on_demand_billing() -> None:
    definition = table_definition("t")
    assert definition["BillingMode"] == "PAY_PER_REQUEST"
    assert [k["AttributeName"] for k in definition["KeySchema"]] == ["pk", "sk"]
    assert {a["AttributeType"] for a in definition["AttributeDefinitions"]} == {"S"}
    names = {g["IndexName"] for g in definition["GlobalSecondaryIndexes"]}
    assert names == {"gsi_principal", "gsi_rule", "gsi_account", "gsi_time"}
    assert ttl_specification() == {"AttributeName": "expires_at", "Enabled": True}


def test_the_client_is_created_on_first_use_not_at_construction() -> None:
    assert DynamoDBIncidentStore("t")._client is None


def test_incident_items_expire_by_retention_but_chain_entries_never_do(dynamo: DynamoHarness) -> None:
    store = dynamo.open(retention_days=30)
    incident = store.record(make_finding("e1")).incident
    assert incident is not None
    items = dynamo.client.scan(TableName=TABLE)["Items"]
    by_kind = {i["kind"]["S"]: i for i in items}
    assert by_kind["incident"]["expires_at"]["N"] == str(epoch(at(days=30)))
    assert "expires_at" not in by_kind["entry"] and "expires_at" not in by_kind["head"]
    assert by_kind["entry"]["incident_expires_at"]["N"] == str(epoch(at(days=30)))


@pytest.fixture
def expired(dynamo: DynamoHarness) -> tuple[DynamoDBIncidentStore, str]:
    """A 30-day log where TTL has deleted the first of two incidents."""
    store = dynamo.open(retention_days=30)
    gone = store.record(make_finding("e1")).incident
    assert gone is not None
    store.record(make_finding("e2", when=at(days=20)))
    dynamo.delete_incident(gone.incident_id)
    return store, gone.incident_id


def test_verify_treats_an_incident_deleted_by_ttl_after_it_expired_as_pruned(
    expired: tuple[DynamoDBIncidentStore, str],
) -> None:
    store, _ = expired
    report = store.verify(now=at(days=31))
    assert report.ok, report.problem
    assert report.pruned == 1


def test_verify_reports_an_incident_deleted_before_it_expired(expired: tuple[DynamoDBIncidentStore, str]) -> None:
    store, gone = expired
    report = store.verify(now=at(days=21))
    assert (report.ok, report.first_bad_incident_id) == (False, gone)


def test_purge_moves_the_checkpoint_past_incidents_ttl_already_deleted(
    expired: tuple[DynamoDBIncidentStore, str],
) -> None:
    store, _ = expired
    assert store.purge(older_than=at(days=10)) == 0  # nothing left to delete, but the chain is trimmed
    report = store.verify(now=at(days=21))
    assert report.ok, report.problem
    assert (report.checked, report.pruned) == (2, 0)  # e2's entry and the checkpoint entry


def _stale_plan(store: DynamoDBIncidentStore, head: Any, event_id: str) -> Any:
    finding = make_finding(event_id)
    return plan_record(
        finding,
        raw_event=None,
        now=T0,
        dedup_key=finding.dedup_key,
        head=head,
        open_incident=None,
        policy=store.policy,
        retention=store.retention,
    )


def test_a_commit_on_a_head_another_writer_moved_is_a_chain_conflict(dynamo: DynamoHarness) -> None:
    mine, theirs = dynamo.open(), dynamo.open()
    with mine._record_session() as session:
        head = session.head()
        theirs.record(make_finding("theirs"))
        with pytest.raises(ChainConflict):
            session.commit(_stale_plan(mine, head, "mine"))
    assert mine.record(make_finding("mine")).status == "new"
    assert mine.verify().ok


def test_a_commit_racing_another_delivery_of_the_same_event_is_a_duplicate(dynamo: DynamoHarness) -> None:
    mine, theirs = dynamo.open(), dynamo.open()
    with mine._record_session() as session:
        head = session.head()
        theirs.record(make_finding("same"))
        with pytest.raises(DuplicateRecord):
            session.commit(_stale_plan(mine, head, "same"))
    assert mine.record(make_finding("same")).status == "duplicate"
    assert mine.verify().checked == 1


class _DeleteThen:
    """A log session that lets ``then`` run right after its deletes: where a concurrent writer can land."""

    def __init__(self, session: Any, then: Callable[[], None]) -> None:
        self._session, self._then = session, then

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    def delete_incidents(self, plan: Any) -> list[str]:
        deleted = self._session.delete_incidents(plan)
        self._then()
        return deleted


class _RacedStore(DynamoDBIncidentStore):
    """The real store, with another writer injected between its purge's deletes and its checkpoint."""

    def __init__(self, *args: Any, meanwhile: Callable[[], None], **options: Any) -> None:
        super().__init__(*args, **options)
        self._meanwhile = meanwhile

    @contextmanager
    def _log_session(self, write: bool) -> Iterator[Any]:
        with super()._log_session(write) as session:
            yield _DeleteThen(session, self._meanwhile)


def test_a_purge_whose_head_moved_meanwhile_chains_its_checkpoint_on_the_new_head(dynamo: DynamoHarness) -> None:
    writer = dynamo.open(retention_days=None)
    # seq 3, written after the purger read the head: its head read is stale
    purger = _RacedStore(TABLE, client=dynamo.new_client(), retention_days=None,
                         meanwhile=lambda: writer.record(make_finding("meanwhile", when=at(1))))
    writer.record(make_finding("old", when=at(days=-400)))
    writer.record(make_finding("live", when=at(0)))
    assert purger.purge(older_than=at(days=-30)) == 1
    assert purger.conflicts == 1
    report = purger.verify()
    assert report.ok, report.problem
    assert (report.head_seq, report.checked, report.incidents) == (4, 3, 2)
