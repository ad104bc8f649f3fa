"""The ssm family's Secrets Manager branch, narrowed to the packaged model's declared secrets.

Matched with moto's EventBridge pattern matcher on real-shaped envelopes: a GetSecretValue
naming a declared secret by name, partial ARN or full ARN (with AWS's random suffix) is routed;
one naming another secret is not; a filtered batch read is routed whenever any secret is declared.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from moto.events.models import EventPattern

from .cloudtrail import api_call, assumed_role, envelope
from .test_builder import load_builder

MODEL = """\
version: 1
accounts: [{id: "630287363158", name: management}]
principals: [{id: agents, kind: agent, auth: role, roles: [paperclip-agent]}]
secrets:
  - {name: "prod/db-*", store: secretsmanager, readers: [agents]}
  - {name: "arn:aws:secretsmanager:us-east-1:630287363158:secret:payments/api-key-AbCdEf", store: secretsmanager}
  - {name: /paperclip-app/api-key, readers: [agents]}
"""
ARN = "arn:aws:secretsmanager:us-east-1:630287363158:secret:"
AGENT = assumed_role("paperclip-agent", "p")


def ssm_pattern(tmp_path: Path, model: str) -> EventPattern:
    import app  # the patterns only: no handler runs

    path = tmp_path / "model.yaml"
    path.write_text(model)
    narrowed = load_builder().narrowed_pattern("ssm", app.PATTERNS["ssm"], {"TRAILWARDEN_MODEL": str(path)})
    return EventPattern.load(json.dumps(narrowed))


def secret_read(name: str, request: dict[str, Any]) -> dict[str, Any]:
    return envelope(api_call("secretsmanager.amazonaws.com", name, AGENT, read_only=True, request=request))


@pytest.mark.parametrize("secret_id", ["prod/db-main", f"{ARN}prod/db-main-Xy12Zq", "payments/api-key",
                                       f"{ARN}payments/api-key", f"{ARN}payments/api-key-AbCdEf"])
def test_a_read_of_a_declared_secret_is_routed_by_name_or_arn(tmp_path: Path, secret_id: str) -> None:
    assert ssm_pattern(tmp_path, MODEL).matches_event(secret_read("GetSecretValue", {"secretId": secret_id}))


@pytest.mark.parametrize("secret_id", ["staging/db-main", f"{ARN}other-Xy12Zq"])
def test_a_read_of_an_undeclared_secret_is_not(tmp_path: Path, secret_id: str) -> None:
    assert not ssm_pattern(tmp_path, MODEL).matches_event(secret_read("GetSecretValue", {"secretId": secret_id}))


def test_a_filtered_batch_read_is_routed_when_any_secret_is_declared(tmp_path: Path) -> None:
    batch = secret_read("BatchGetSecretValue", {"filters": [{"key": "tag-key", "values": ["team"]}]})
    assert ssm_pattern(tmp_path, MODEL).matches_event(batch)
    ssm_only = MODEL.split("  - {name: \"prod")[0] + "  - {name: /paperclip-app/api-key}\n"
    assert not ssm_pattern(tmp_path, ssm_only).matches_event(batch)


def test_ssm_reads_are_unchanged_by_the_narrowing(tmp_path: Path) -> None:
    read = envelope(api_call("ssm.amazonaws.com", "GetParameter", AGENT, read_only=True,
                             request={"name": "/paperclip-app/api-key", "withDecryption": True}))
    assert ssm_pattern(tmp_path, MODEL).matches_event(read)
