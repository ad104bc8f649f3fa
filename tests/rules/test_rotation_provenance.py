"""A key rotation is low only in the declared way: by an IAM manager, or by the principal from its known source.

The stories in ``tests/fixtures/stories/`` are JSON lines in trail order: the CI user's usual activity,
then a new key and the old key's deletion, once from the CI user's usual source and once with the
same (stolen) key from an address and tool it never used.
"""

from __future__ import annotations

import json
from pathlib import Path

from chalicelib.findings import Finding, Severity
from chalicelib.history import MemoryHistory

from .conftest import DECLARED_ACCOUNT, judge, model_from, record

STORIES = Path(__file__).resolve().parents[1] / "fixtures" / "stories"
CI_USER = "github-actions-aws-deployer"


def replay_story(name: str, model=None, history=None) -> list[Finding]:
    history = history if history is not None else MemoryHistory()
    lines = (STORIES / name).read_text(encoding="utf-8").splitlines()
    return [f for line in lines for f in judge(json.loads(line), model, history)]


def of(findings: list[Finding], rule: str) -> Finding:
    (f,) = [f for f in findings if f.rule == rule]
    return f


def test_self_rotation_from_the_usual_source_is_low():
    assert of(replay_story("ci-self-rotation.jsonl"), "iam-create-access-key").severity is Severity.LOW


def test_self_rotation_from_the_usual_source_marks_the_revocation_as_trusted():
    assert of(replay_story("ci-self-rotation.jsonl"), "credential-revoked").details["actor_trusted"] is True


def test_a_stolen_key_creating_a_key_from_a_new_address_is_high():
    f = of(replay_story("stolen-ci-key-rotation.jsonl"), "iam-create-access-key")
    assert f.severity is Severity.HIGH
    assert "source IP 185.220.101.47 was never seen" in f.reason


def test_a_stolen_key_creation_names_the_unknown_user_agent():
    f = of(replay_story("stolen-ci-key-rotation.jsonl"), "iam-create-access-key")
    assert "user agent 'python-requests'" in f.reason


def test_a_stolen_key_deleting_the_old_key_is_not_a_trusted_rotation():
    f = of(replay_story("stolen-ci-key-rotation.jsonl"), "credential-revoked")
    assert f.details["actor_trusted"] is False
    assert f.severity is Severity.HIGH


def test_self_rotation_without_any_earlier_activity_is_high():
    history = MemoryHistory()
    lines = (STORIES / "ci-self-rotation.jsonl").read_text(encoding="utf-8").splitlines()
    f = of(judge(json.loads(lines[1]), history=history), "iam-create-access-key")
    assert f.severity is Severity.HIGH
    assert f.details["missing_evidence"]


def test_a_key_beyond_max_active_keys_is_high_even_from_an_iam_manager():
    history = MemoryHistory()
    judge(record("create-access-key.json"), history=history)  # the admin made key 1
    second = record("create-access-key.json", eventID="5e1d0b1a-0000-4c2e-8a53-3c1f7d9e0002",
                    responseElements={"accessKey": {"accessKeyId": "AKIAZ7TW0SECONDKEY02"}})
    f = of(judge(second, history=history), "iam-create-access-key")
    assert f.severity is Severity.HIGH
    assert f"'{CI_USER}' would have 2 active keys; the model allows 1" in f.reason


def test_a_second_key_is_low_when_the_model_allows_two():
    model = model_from(f"""
        version: 1
        accounts: [{{id: "{DECLARED_ACCOUNT}", name: management}}]
        principals:
          - {{id: jared, kind: human, auth: sso, sso_users: [jared@example.com], manages_iam: true}}
          - id: github-actions
            kind: ci
            auth: access-key
            iam_user: {CI_USER}
            key: {{max_active_keys: 2}}
    """)
    history = MemoryHistory()
    judge(record("create-access-key.json"), model, history)
    second = record("create-access-key.json", eventID="5e1d0b1a-0000-4c2e-8a53-3c1f7d9e0002",
                    responseElements={"accessKey": {"accessKeyId": "AKIAZ7TW0SECONDKEY02"}})
    assert of(judge(second, model, history), "iam-create-access-key").severity is Severity.LOW


def test_a_deleted_key_no_longer_counts_towards_max_active_keys():
    history = MemoryHistory()
    judge(record("create-access-key.json"), history=history)
    judge(record("delete-access-key.json", requestParameters={"accessKeyId": "AKIAZ7TW0NEWR0TATE42"}),
          history=history)
    second = record("create-access-key.json", eventID="5e1d0b1a-0000-4c2e-8a53-3c1f7d9e0002",
                    responseElements={"accessKey": {"accessKeyId": "AKIAZ7TW0SECONDKEY02"}})
    assert of(judge(second, history=history), "iam-create-access-key").severity is Severity.LOW
