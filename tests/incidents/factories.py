"""Small builders for findings and times, so each test states only what it is about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.findings import Finding, Severity

T0 = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)
ACCOUNT = "630287363158"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/paperclip-agent"
SESSION_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/paperclip-agent/i-0abc123"
USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/github-actions-aws-deployer"


def at(minutes: float = 0, *, days: float = 0) -> datetime:
    """A moment relative to the fixed test clock ``T0``."""
    return T0 + timedelta(minutes=minutes, days=days)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_finding(
    event_id: str | None = "evt-1",
    *,
    when: datetime = T0,
    rule: str = "root-api-use",
    severity: Severity = Severity.CRITICAL,
    principal_arn: str | None = ROOT_ARN,
    account: str | None = ACCOUNT,
    group_key: str | None = None,
    **overrides: Any,
) -> Finding:
    """A §6-shaped finding; keyword overrides for any other field."""
    fields: dict[str, Any] = {
        "rule": rule,
        "severity": severity,
        "title": f"{rule} by {principal_arn}",
        "principal_arn": principal_arn,
        "principal": None,
        "target_arn": None,
        "event_id": event_id,
        "event_name": "GetParameter",
        "event_source": "ssm.amazonaws.com",
        "event_time": iso(when),
        "account": account,
        "region": "us-east-1",
        "source_ip": "198.51.100.7",
        "user_agent": "aws-cli/2.15.0",
        "breaks": None,
        "runbook": "Rotate root credentials and review CloudTrail for the session.",
        "reason": "root is never for day-to-day work",
        "group_key": group_key,
    }
    fields.update(overrides)
    return Finding(**fields)


def raw_event(event_id: str, when: datetime = T0) -> dict[str, Any]:
    """A minimal CloudTrail record to store alongside a finding."""
    return {
        "eventVersion": "1.08",
        "eventID": event_id,
        "eventTime": iso(when),
        "eventName": "GetParameter",
        "userIdentity": {"type": "Root", "arn": ROOT_ARN, "accountId": ACCOUNT},
        "additionalEventData": {"bytesTransferredIn": 0.0, "MFAUsed": "No"},
        "readOnly": True,
    }
