"""A key rotation (revoke + create for one declared user within the hour) is linked, not two alarms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.findings import Finding, Severity
from chalicelib.incidents.state import SQLiteStateStore
from chalicelib.rotation import RotationLinker

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
USER = "arn:aws:iam::630287363158:user/github-actions-aws-deployer"


def finding(rule: str, **details: object) -> Finding:
    return Finding(rule=rule, severity=Severity.HIGH, title="t", principal_arn="arn:aws:iam::630287363158:root",
                   principal=None, target_arn=USER, event_id=f"e-{rule}", event_name=None, event_source=None,
                   event_time=None, account="630287363158", region="us-east-1", source_ip=None, user_agent=None,
                   breaks="Terraform CI in GitHub Actions", runbook="r", reason="base reason.", details=details)


@pytest.fixture
def linker(tmp_path: Path) -> RotationLinker:
    return RotationLinker(SQLiteStateStore(str(tmp_path / "state.db")))


def test_new_key_within_the_hour_of_a_revocation_is_linked_as_its_replacement(linker: RotationLinker) -> None:
    revoked = finding("credential-revoked", action="DeleteAccessKey", key="…LFKH")
    linker.remember(revoked, "INC-1", T0)
    created = linker.link(finding("iam-create-access-key", new_key="…9Q2A", actor_trusted=True),
                          T0 + timedelta(minutes=5))
    assert created.reason.startswith("rotated: old key …LFKH replaced by …9Q2A (incident INC-1)")
    assert created.severity == Severity.LOW
    assert created.details["rotation"]["linked_incident"] == "INC-1"


def test_replacement_key_made_by_someone_not_allowed_stays_loud_but_linked(linker: RotationLinker) -> None:
    linker.remember(finding("credential-revoked", action="DeleteAccessKey", key="…LFKH"), "INC-1", T0)
    created = linker.link(finding("iam-create-access-key", new_key="…9Q2A", actor_trusted=False),
                          T0 + timedelta(minutes=5))
    assert created.severity == Severity.HIGH and created.reason.startswith("rotated: old key …LFKH")


def test_new_key_long_after_a_revocation_stays_a_separate_alarm(linker: RotationLinker) -> None:
    linker.remember(finding("credential-revoked", action="DeleteAccessKey", key="…LFKH"), "INC-1", T0)
    created = linker.link(finding("iam-create-access-key", new_key="…9Q2A"), T0 + timedelta(hours=2))
    assert created.severity == Severity.HIGH and "rotated" not in created.reason


def test_revocation_after_a_new_key_is_the_linked_half(linker: RotationLinker) -> None:
    linker.remember(finding("iam-create-access-key", new_key="…9Q2A"), "INC-2", T0)
    revoked = linker.link(finding("credential-revoked", action="DeleteAccessKey", key="…LFKH"),
                          T0 + timedelta(minutes=10))
    assert revoked.reason.startswith("rotated: old key …LFKH replaced by …9Q2A (incident INC-2)")


def test_console_password_deletion_is_not_part_of_a_key_rotation(linker: RotationLinker) -> None:
    linker.remember(finding("iam-create-access-key", new_key="…9Q2A"), "INC-2", T0)
    revoked = linker.link(finding("credential-revoked", action="DeleteLoginProfile"), T0 + timedelta(minutes=1))
    assert revoked.severity == Severity.HIGH and "rotated" not in revoked.reason
