"""``POST /incidents/{id}/triage``: only a responder-role session may triage, and its ARN is what is recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.incidents.sqlite import SQLiteIncidentStore
from chalicelib.incidents.triage_api import triage_request

from .factories import ACCOUNT, at, make_finding

RESPONDER = "trailwarden-prod-responder"
RESPONDER_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/{RESPONDER}/maria@example.com"
AUDITOR_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/trailwarden-prod-auditor/eve"


def context(arn: str | None) -> dict:
    return {"identity": {"userArn": arn, "sourceIp": "198.51.100.7"}} if arn else {"identity": {}}


@pytest.fixture
def store(tmp_path: Path) -> SQLiteIncidentStore:
    return SQLiteIncidentStore(tmp_path / "log.db")


@pytest.fixture
def incident_id(store: SQLiteIncidentStore) -> str:
    outcome = store.record(make_finding("evt-1"), now=at(0))
    assert outcome.incident is not None
    return outcome.incident.incident_id


def call(store: SQLiteIncidentStore, incident_id: str, body: object, arn: str | None = RESPONDER_SESSION):  # type: ignore[no-untyped-def]
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return triage_request(store, incident_id, raw, context(arn), responder_role=RESPONDER, now=at(5))


def test_a_responder_session_acknowledges_and_its_arn_is_recorded(store, incident_id) -> None:  # type: ignore[no-untyped-def]
    answer = call(store, incident_id, {"action": "ack", "note": "looking"})
    assert answer.status == 200
    [record] = store.triage_history(incident_id)
    assert (record.actor, record.via, record.note) == (RESPONDER_SESSION, "api", "looking")


def test_a_responder_resolves_with_a_resolution(store, incident_id) -> None:  # type: ignore[no-untyped-def]
    answer = call(store, incident_id, {"action": "resolve", "resolution": "remediated"})
    assert answer.status == 200 and answer.body["triage"]["resolution"] == "remediated"


def test_the_auditor_role_is_refused(store, incident_id) -> None:  # type: ignore[no-untyped-def]
    assert call(store, incident_id, {"action": "ack"}, arn=AUDITOR_SESSION).status == 403
    assert store.triage_history(incident_id) == []


def test_a_request_without_a_signing_identity_is_refused(store, incident_id) -> None:  # type: ignore[no-untyped-def]
    assert call(store, incident_id, {"action": "ack"}, arn=None).status == 403


def test_a_name_in_the_body_is_not_who_is_recorded(store, incident_id) -> None:  # type: ignore[no-untyped-def]
    answer = call(store, incident_id, {"action": "ack", "as": "the-ciso"})
    assert answer.status == 400 and "as" in answer.body["message"]


def test_resolving_without_a_resolution_is_a_bad_request(store, incident_id) -> None:  # type: ignore[no-untyped-def]
    assert call(store, incident_id, {"action": "resolve"}).status == 400


def test_a_body_that_is_not_json_is_a_bad_request(store, incident_id) -> None:  # type: ignore[no-untyped-def]
    assert call(store, incident_id, b"action=ack").status == 400


def test_an_unknown_incident_is_404(store) -> None:  # type: ignore[no-untyped-def]
    assert call(store, "inc-000000000000000000000000", {"action": "ack"}).status == 404


def test_acknowledging_twice_is_a_conflict(store, incident_id) -> None:  # type: ignore[no-untyped-def]
    call(store, incident_id, {"action": "ack"})
    answer = call(store, incident_id, {"action": "ack"})
    assert answer.status == 409 and "acknowledged" in answer.body["message"]
