"""The deployed path: rotation provenance and session attribution kept in the state, so separate
invocations (and containers) share what earlier events taught. Both backends, as one Lambda each."""

from __future__ import annotations

import json
from pathlib import Path

from chalicelib.findings import Severity
from chalicelib.incidents import IncidentQuery

from .conftest import Rig, envelope

STORIES = Path(__file__).resolve().parents[1] / "fixtures" / "stories"


def deliver_story(rig: Rig, name: str) -> None:
    """Each record delivered by a fresh monitor (a cold container), as EventBridge invokes them."""
    for line in (STORIES / name).read_text(encoding="utf-8").splitlines():
        rig.monitor().process_envelope(envelope(json.loads(line)))


def stored(rig: Rig, rule: str) -> list:
    return [i for i in rig.open_store().iter_all(IncidentQuery(limit=100)) if i.rule == rule]


def test_a_stolen_key_rotating_itself_is_stored_high_on_both_halves(rig: Rig) -> None:
    deliver_story(rig, "stolen-ci-key-rotation.jsonl")
    (created,) = stored(rig, "iam-create-access-key")
    (revoked,) = stored(rig, "credential-revoked")
    assert (created.severity, revoked.severity) == (Severity.HIGH, Severity.HIGH)


def test_a_self_rotation_from_the_usual_source_is_linked_and_low_across_invocations(rig: Rig) -> None:
    deliver_story(rig, "ci-self-rotation.jsonl")
    (created,) = stored(rig, "iam-create-access-key")
    (revoked,) = stored(rig, "credential-revoked")
    assert created.severity is Severity.LOW
    assert revoked.severity is Severity.LOW and revoked.finding.reason.startswith("rotated:")


def test_a_role_session_read_is_attributed_to_its_assumer_across_invocations(rig: Rig) -> None:
    deliver_story(rig, "ci-assumes-agent-role-and-reads-its-secret.jsonl")
    (read,) = stored(rig, "secret-read-undeclared")
    assert "obtained by principal 'github-actions'" in read.finding.reason
