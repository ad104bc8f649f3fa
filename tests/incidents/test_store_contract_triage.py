"""The incident log contract for triage, on every backend (in-memory SQLite, SQLite file, DynamoDB on moto).

A status change is a chained record beside the incident: verify stays clean after
legitimate triage and names the incident when a triage record is edited, deleted or forged.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from chalicelib.incidents.dynamodb_schema import triage_pk
from chalicelib.incidents.sqlite import SQLiteIncidentStore
from chalicelib.incidents.store import IncidentStore
from chalicelib.incidents.triage import IncidentNotFound, TriageError

from .factories import at, make_finding
from .harness import TABLE, DynamoHarness, Harness, SQLiteHarness


def record(store: IncidentStore, event_id: str = "evt-1", **kw: Any) -> str:
    outcome = store.record(make_finding(event_id, **kw), now=at(0))
    assert outcome.incident is not None
    return outcome.incident.incident_id


def edit_triage(harness: Harness, incident_id: str, field: str, value: str) -> None:
    """Tamper with the first triage record of ``incident_id`` straight in storage."""
    if isinstance(harness, SQLiteHarness):
        with sqlite3.connect(harness.path) as conn:
            conn.execute(f"UPDATE triage SET {field} = ? WHERE seq = "
                         "(SELECT MIN(seq) FROM triage WHERE incident_id = ?)", (value, incident_id))  # fmt: skip
        return
    assert isinstance(harness, DynamoHarness)
    items = harness.client.query(TableName=TABLE, KeyConditionExpression="pk = :pk",
                                 ExpressionAttributeValues={":pk": {"S": triage_pk(incident_id)}})["Items"]  # fmt: skip
    key = {"pk": items[0]["pk"], "sk": items[0]["sk"]}
    harness.client.update_item(TableName=TABLE, Key=key, UpdateExpression="SET #f = :v",
                               ExpressionAttributeNames={"#f": field},
                               ExpressionAttributeValues={":v": {"S": value}})  # fmt: skip


def delete_first_triage(harness: Harness, incident_id: str) -> None:
    if isinstance(harness, SQLiteHarness):
        with sqlite3.connect(harness.path) as conn:
            conn.execute("DELETE FROM triage WHERE seq = (SELECT MIN(seq) FROM triage WHERE incident_id = ?)",
                         (incident_id,))  # fmt: skip
        return
    assert isinstance(harness, DynamoHarness)
    items = harness.client.query(TableName=TABLE, KeyConditionExpression="pk = :pk",
                                 ExpressionAttributeValues={":pk": {"S": triage_pk(incident_id)}})["Items"]  # fmt: skip
    harness.client.delete_item(TableName=TABLE, Key={"pk": items[0]["pk"], "sk": items[0]["sk"]})


# -- lifecycle -------------------------------------------------------------------------------
def test_a_new_incident_is_open(store: IncidentStore) -> None:
    incident = store.get(record(store))
    assert incident is not None
    assert store.state(incident).status == "open"


def test_ack_then_resolve_records_who_when_and_why(store: IncidentStore) -> None:
    incident_id = record(store)
    store.triage(incident_id, "ack", "jared", now=at(4))
    store.triage(incident_id, "resolve", "maria", now=at(9), resolution="expected", note="break-glass drill")
    incident = store.get(incident_id)
    assert incident is not None
    state = store.state(incident)
    assert (state.status, state.resolution, state.note) == ("resolved", "expected", "break-glass drill")
    assert (state.acknowledged_by, state.acknowledged_at, state.resolved_by, state.resolved_at) == (
        "jared", at(4), "maria", at(9))


def test_a_status_change_never_rewrites_the_incident(store: IncidentStore) -> None:
    incident_id = record(store)
    before = store.get(incident_id)
    store.triage(incident_id, "ack", "jared", now=at(4))
    assert store.get(incident_id) == before


def test_acknowledging_twice_is_refused(store: IncidentStore) -> None:
    incident_id = record(store)
    store.triage(incident_id, "ack", "jared", now=at(4))
    with pytest.raises(TriageError, match="is acknowledged"):
        store.triage(incident_id, "ack", "jared", now=at(5))


def test_resolving_needs_a_known_resolution(store: IncidentStore) -> None:
    incident_id = record(store)
    with pytest.raises(TriageError, match="resolution 'fine'"):
        store.triage(incident_id, "resolve", "jared", now=at(4), resolution="fine")
    assert store.triage_history(incident_id) == []


def test_triaging_an_unknown_incident_says_so(store: IncidentStore) -> None:
    with pytest.raises(IncidentNotFound, match="inc-nope"):
        store.triage("inc-nope", "ack", "jared")


def test_a_resolved_group_that_grows_reopens(store: IncidentStore) -> None:
    incident_id = record(store, "evt-1", group_key="g1")
    store.triage(incident_id, "resolve", "jared", now=at(2), resolution="expected")
    outcome = store.record(make_finding("evt-2", when=at(5), group_key="g1"), now=at(5))
    assert (outcome.status, outcome.reopened) == ("grouped", True)
    assert outcome.incident is not None
    state = store.state(outcome.incident)
    assert (state.status, state.reopened, state.last.actor if state.last else None) == ("open", True, "trailwarden")


def test_an_acknowledged_group_that_grows_stays_acknowledged(store: IncidentStore) -> None:
    incident_id = record(store, "evt-1", group_key="g1")
    store.triage(incident_id, "ack", "jared", now=at(2))
    outcome = store.record(make_finding("evt-2", when=at(5), group_key="g1"), now=at(5))
    assert outcome.reopened is False
    assert outcome.incident is not None and store.state(outcome.incident).status == "acknowledged"


# -- the chain covers triage ----------------------------------------------------------------
def test_verify_stays_clean_after_legitimate_triage(store: IncidentStore) -> None:
    incident_id = record(store)
    record(store, "evt-2")
    store.triage(incident_id, "ack", "jared", now=at(4))
    store.triage(incident_id, "resolve", "jared", now=at(6), resolution="remediated", note="key rotated")
    report = store.verify()
    assert (report.ok, report.checked) == (True, 4)


def test_verify_names_the_incident_whose_triage_note_was_edited(harness: Harness, store: IncidentStore) -> None:
    incident_id = record(store)
    store.triage(incident_id, "resolve", "jared", now=at(4), resolution="expected", note="drill")
    edit_triage(harness, incident_id, "note", "approved by the CISO")
    report = store.verify()
    assert (report.ok, report.first_bad_incident_id) == (False, incident_id)
    assert "altered" in (report.problem or "")


def test_verify_catches_an_edited_triage_actor(harness: Harness, store: IncidentStore) -> None:
    incident_id = record(store)
    store.triage(incident_id, "ack", "jared", now=at(4))
    edit_triage(harness, incident_id, "actor", "maria")
    assert store.verify().ok is False


def test_verify_catches_a_deleted_triage_record(harness: Harness, store: IncidentStore) -> None:
    incident_id = record(store)
    store.triage(incident_id, "ack", "jared", now=at(4))
    store.triage(incident_id, "resolve", "jared", now=at(6), resolution="expected")
    delete_first_triage(harness, incident_id)
    report = store.verify()
    assert (report.ok, report.first_bad_incident_id) == (False, incident_id)
    assert "removed" in (report.problem or "")


def test_purge_keeps_a_surviving_incidents_latest_triage_entry(harness: Harness, store: IncidentStore) -> None:
    survivor = record(store, "evt-1", group_key="g1")
    store.triage(survivor, "ack", "jared", now=at(1))
    store.record(make_finding("old-1", when=at(days=-500)), now=at(2))
    store.record(make_finding("evt-2", when=at(30), group_key="g1"), now=at(30))
    store.purge(at(days=-400))
    assert store.verify().ok
    assert [r.actor for r in store.triage_history(survivor)] == ["jared"]


def test_purge_removes_a_purged_incidents_triage(store: IncidentStore) -> None:
    old = record(store, "old-1", when=at(days=-500))
    store.triage(old, "resolve", "jared", now=at(1), resolution="expected")
    record(store, "new-1")
    assert store.purge(at(days=-400)) == 1
    assert (store.verify().ok, store.triage_history(old)) == (True, [])


def test_in_memory_sqlite_triages_like_a_file(tmp_path: Path) -> None:
    store = SQLiteIncidentStore(":memory:")
    incident_id = record(store)
    store.triage(incident_id, "ack", "jared", now=at(4))
    assert (store.verify().ok, [r.status for r in store.triage_history(incident_id)]) == (True, ["acknowledged"])
