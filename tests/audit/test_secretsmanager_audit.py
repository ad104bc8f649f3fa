"""The inventory audit on Secrets Manager secrets and globbed SSM names, collected from moto.

moto stamps versions with the current time and offers no way to backdate them, so secrets are
aged by judging as of a date past their rotation period; the value-date rule (the current
version, not the last metadata change) is checked on a hand-built snapshot.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from chalicelib.audit import audit, collect_snapshot
from chalicelib.audit.snapshot import ManagedSecret
from chalicelib.findings import Severity
from chalicelib.identity import parse_model

REGION = "us-east-1"
MODEL = parse_model("""\
version: 1
accounts: [{id: "123456789012", name: moto}]
principals:
  - {id: app, kind: workload, auth: role, roles: [app-role]}
secrets:
  - {name: "prod/db-*", store: secretsmanager, readers: [app], rotate_every_days: 30}
  - {name: "payments/api-key", store: secretsmanager, readers: [app], rotate_every_days: 90,
     breaks: "card payments stop"}
  - {name: "/credentials/ci/*", readers: [app], rotate_every_days: 30}
""", source="<test model>")


@pytest.fixture
def snapshot(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        sm, ssm = session.client("secretsmanager"), session.client("ssm")
        sm.create_secret(Name="prod/db-main", SecretString="not-a-real-password")
        sm.create_secret(Name="prod/db-replica", SecretString="not-a-real-password")
        sm.create_secret(Name="staging/db-main", SecretString="not-a-real-password")  # undeclared
        ssm.put_parameter(Name="/credentials/ci/deploy-key", Value="x", Type="SecureString")
        ssm.put_parameter(Name="/credentials/other", Value="x", Type="SecureString")
        yield collect_snapshot(session, MODEL, region=REGION)


def test_only_declared_secrets_are_collected_each_with_its_current_value_date(snapshot):
    assert [s.name for s in snapshot.managed_secrets] == ["prod/db-main", "prod/db-replica"]
    assert all(s.current_since is not None for s in snapshot.managed_secrets)
    assert [p.name for p in snapshot.parameters] == ["/credentials/ci/deploy-key"]


def test_fresh_secrets_are_quiet_and_a_missing_declared_one_is_high(snapshot):
    findings = audit(MODEL, snapshot, datetime.now(UTC) + timedelta(days=1))
    (missing,) = [f for f in findings if f.rule == "inventory-secret-overdue"]
    assert missing.severity is Severity.HIGH and "payments/api-key" in missing.reason
    assert "Secrets Manager" in missing.reason and missing.breaks == "card payments stop"
    assert "aws secretsmanager put-secret-value" in missing.runbook


def test_every_secret_a_glob_matches_is_aged_against_its_rotation_period(snapshot):
    findings = audit(MODEL, snapshot, datetime.now(UTC) + timedelta(days=45))
    overdue = sorted(f.details["name"] for f in findings if f.details.get("age_days") is not None)
    assert overdue == ["/credentials/ci/deploy-key", "prod/db-main", "prod/db-replica"]
    assert all(f.severity is Severity.MEDIUM for f in findings if f.details.get("age_days") is not None)


def test_a_metadata_change_does_not_reset_a_secrets_age(snapshot):
    now = datetime.now(UTC)
    (main, replica) = snapshot.managed_secrets
    aged = dataclasses.replace(main, last_changed=now, current_since=now - timedelta(days=40))
    snap = dataclasses.replace(snapshot, managed_secrets=(aged, replica))
    overdue = [f for f in audit(MODEL, snap, now) if f.details.get("age_days") is not None]
    assert [f.details["name"] for f in overdue] == ["prod/db-main"] and overdue[0].details["age_days"] == 40


def test_a_secret_without_a_current_version_is_aged_by_its_last_change():
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    assert ManagedSecret("a", "arn:a", last_changed=stamp).value_date == stamp
