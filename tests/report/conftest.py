"""Incidents for the report tests: one builder with every field set, and a realistic month slice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.findings import FINDING_FIELDS

GENERATED_AT = datetime(2026, 11, 21, 8, 30, tzinfo=UTC)
SINCE = datetime(2026, 11, 11, tzinfo=UTC)
UNTIL = datetime(2026, 11, 21, tzinfo=UTC)
ACCOUNT = "630287363158"


def build_incident(**overrides: Any) -> dict[str, Any]:
    """A stored root-API-use incident with every DESIGN §6 field; tests override what they are about."""
    incident: dict[str, Any] = {
        "rule": "root-api-use",
        "severity": "critical",
        "title": "Root user called GetParameter",
        "principal_arn": f"arn:aws:iam::{ACCOUNT}:root",
        "principal": None,
        "target_arn": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/paperclip-app/api-key",
        "event_id": "3f1c6a3e-9d2b-4a0e-8f4e-2c1d0b9a8e7f",
        "event_name": "GetParameter",
        "event_source": "ssm.amazonaws.com",
        "event_time": "2026-11-20T10:01:02Z",
        "account": ACCOUNT,
        "region": "us-east-1",
        "source_ip": "203.0.113.7",
        "user_agent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1",
        "breaks": None,
        "runbook": "Confirm with the account owner; rotate root credentials.",
        "reason": "The root user must never be used for day-to-day work.",
        "incident_id": "inc-0001",
        "count": 1,
        "first_seen": "2026-11-20T10:01:02Z",
        "last_seen": "2026-11-20T10:01:02Z",
    }
    assert set(FINDING_FIELDS) <= set(incident)
    incident.update(overrides)
    return incident


# (rule, severity, principal, event, target, breaks) — the kinds of incidents a small org sees.
_KINDS: tuple[tuple[str, str, str, str, str | None, str | None], ...] = (
    ("root-api-use", "critical", f"arn:aws:iam::{ACCOUNT}:root", "ListUsers", None, None),
    ("root-signin", "critical", f"arn:aws:iam::{ACCOUNT}:root", "ConsoleLogin", None, None),
    ("iam-delete-user", "high",
     f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_AdministratorAccess_3f9c2e1a7b6d5c4e/jared@example.com",
     "DeleteUser", f"arn:aws:iam::{ACCOUNT}:user/github-actions-aws-deployer", "Terraform CI in GitHub Actions"),
    ("iam-create-access-key", "low", f"arn:aws:iam::{ACCOUNT}:user/github-actions-aws-deployer",
     "CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/github-actions-aws-deployer", None),
    ("sts-assume-role-failed", "medium", f"arn:aws:iam::{ACCOUNT}:user/github-actions-aws-deployer",
     "AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/terraform-deploy", "Terraform CI in GitHub Actions"),
    ("identity-undeclared-principal", "high", f"arn:aws:iam::{ACCOUNT}:user/legacy-backup-script",
     "PutObject", "arn:aws:s3:::abt-backups/db/2026-11-14.sql.gz", None),
    ("secret-read-undeclared", "high", f"arn:aws:sts::{ACCOUNT}:assumed-role/abt-app-instance-role/i-0abc123def4567890",
     "GetParameter", f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/paperclip-app/api-key",
     "Paperclip agents lose API access"),
    ("identity-undeclared-account", "medium", "arn:aws:iam::111122223333:user/ops", "DescribeInstances", None, None),
    ("inventory-key-overdue", "info", f"arn:aws:iam::{ACCOUNT}:user/github-actions-aws-deployer", "-", None, None),
)  # fmt: skip
_DAY_PLAN = (2, 4, 1, 5, 3, 0, 6, 2, 4, 3)  # incidents per day over ten days: 30 in all, one quiet day


def realistic_incidents() -> list[dict[str, Any]]:
    """30 incidents over 2026-11-11 … 2026-11-20, several rules and every severity; deterministic."""
    out: list[dict[str, Any]] = []
    number = 0
    for day, how_many in enumerate(_DAY_PLAN):
        for slot in range(how_many):
            rule, severity, principal, event, target, breaks = _KINDS[(number * 7 + day) % len(_KINDS)]
            first = SINCE + timedelta(days=day, hours=2 + slot * 3, minutes=(number * 13) % 60, seconds=number)
            count = 1 + (number * 5) % 9 if rule in {"sts-assume-role-failed", "root-api-use"} else 1
            out.append(build_incident(
                rule=rule, severity=severity, principal_arn=principal, event_name=event, target_arn=target,
                breaks=breaks, count=count, incident_id=f"inc-{number + 1:04d}",
                first_seen=f"{first:%Y-%m-%dT%H:%M:%SZ}",
                last_seen=f"{first + timedelta(minutes=count * 4):%Y-%m-%dT%H:%M:%SZ}",
                event_time=f"{first:%Y-%m-%dT%H:%M:%SZ}",
                region="eu-west-1" if event == "AssumeRole" else "us-east-1",
                account=principal.split(":")[4] or ACCOUNT,
                reason=f"{rule.replace('-', ' ')}: {event} by {principal.rsplit('/', 1)[-1]} is not in the model.",
            ))  # fmt: skip
            number += 1
    return out


@pytest.fixture
def realistic() -> list[dict[str, Any]]:
    return realistic_incidents()
