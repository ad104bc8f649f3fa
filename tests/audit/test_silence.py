"""identity-principal-silent: a principal that should act every N days and has not (DESIGN §5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.audit.silence import RULE, silent_principals
from chalicelib.findings import FINDING_FIELDS, Severity
from chalicelib.identity import IdentityModel, load_model, parse_model

AS_OF = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
ACCOUNT = "630287363158"
CI_ARN = f"arn:aws:iam::{ACCOUNT}:user/github-actions-aws-deployer"


@pytest.fixture(scope="module")
def model() -> IdentityModel:
    """The bundled model: only github-actions declares ``expect_activity_every_days`` (7)."""
    return load_model()


def days_ago(days: float) -> datetime:
    return AS_OF - timedelta(days=days)


def test_a_principal_seen_recently_is_not_silent(model: IdentityModel) -> None:
    assert silent_principals(model, {"github-actions": days_ago(1)}, AS_OF, days_ago(100)) == []


def test_a_principal_seen_exactly_one_period_ago_is_not_yet_silent(model: IdentityModel) -> None:
    assert silent_principals(model, {"github-actions": days_ago(7)}, AS_OF, days_ago(100)) == []


def test_a_principal_seen_ten_days_ago_with_a_seven_day_period_is_silent(model: IdentityModel) -> None:
    [finding] = silent_principals(model, {"github-actions": days_ago(10)}, AS_OF, days_ago(100))
    assert (finding.rule, finding.principal, finding.principal_arn) == (RULE, "github-actions", CI_ARN)
    assert finding.account == ACCOUNT


def test_a_silent_principal_says_what_breaks_and_is_high(model: IdentityModel) -> None:
    [finding] = silent_principals(model, {"github-actions": days_ago(10)}, AS_OF, None)
    assert finding.breaks == "Terraform CI in GitHub Actions"
    assert finding.severity is Severity.HIGH


def test_the_reason_says_when_it_was_last_seen_and_what_was_expected(model: IdentityModel) -> None:
    [finding] = silent_principals(model, {"github-actions": days_ago(10)}, AS_OF, None)
    assert "last seen 2026-11-16 09:00Z, 10 days ago" in finding.reason
    assert "expected to act every 7 days" in finding.reason
    assert finding.details == {"last_seen": "2026-11-16T09:00:00+00:00", "expect_activity_every_days": 7}


def test_a_silence_finding_has_every_design_field_and_a_runbook(model: IdentityModel) -> None:
    [finding] = silent_principals(model, {"github-actions": days_ago(10)}, AS_OF, None)
    row = finding.to_dict()
    assert set(FINDING_FIELDS) <= set(row)
    assert row["event_id"] is None and "create-access-key" in row["runbook"] and finding.reference


def test_a_principal_never_seen_since_tracking_began_eight_days_ago_is_silent(model: IdentityModel) -> None:
    [finding] = silent_principals(model, {}, AS_OF, days_ago(8))
    assert finding.principal == "github-actions"
    assert "not seen since monitoring began 2026-11-18" in finding.reason
    assert finding.details["last_seen"] is None


def test_a_principal_never_seen_while_tracking_began_two_days_ago_is_not_silent(model: IdentityModel) -> None:
    assert silent_principals(model, {}, AS_OF, days_ago(2)) == []


def test_a_principal_never_seen_without_any_tracking_start_is_not_silent(model: IdentityModel) -> None:
    assert silent_principals(model, {}, AS_OF, None) == []


def test_principals_without_an_activity_period_are_never_silent(model: IdentityModel) -> None:
    last_seen = {p: days_ago(365) for p in ("jared", "app-servers", "paperclip-agents", "infra-deploy")}
    findings = silent_principals(model, {**last_seen, "github-actions": days_ago(1)}, AS_OF, days_ago(365))
    assert findings == []


def test_the_account_argument_names_the_account_the_audit_ran_in(model: IdentityModel) -> None:
    [finding] = silent_principals(model, {"github-actions": days_ago(10)}, AS_OF, None, account="123456789012")
    assert finding.principal_arn == "arn:aws:iam::123456789012:user/github-actions-aws-deployer"
    assert finding.account == "123456789012"


def test_a_silent_role_principal_without_breaks_is_medium_and_named_by_its_role() -> None:
    agents = parse_model("""
version: 1
accounts:
  - {id: "111122223333", name: prod}
principals:
  - id: nightly-agent
    kind: agent
    auth: role
    roles: [nightly-report]
    expect_activity_every_days: 2
""", source="agents.yaml")
    [finding] = silent_principals(agents, {"nightly-agent": days_ago(3)}, AS_OF, None)
    assert finding.severity is Severity.MEDIUM and finding.breaks is None
    assert finding.principal_arn == "arn:aws:iam::111122223333:role/nightly-report"


def test_the_same_silence_checked_on_two_days_is_the_same_incident(model: IdentityModel) -> None:
    seen = {"github-actions": days_ago(10)}
    [today] = silent_principals(model, seen, AS_OF, None)
    [tomorrow] = silent_principals(model, seen, AS_OF + timedelta(days=1), None)
    assert today.dedup_key == tomorrow.dedup_key


def test_a_new_silence_after_the_principal_acted_again_is_a_new_incident(model: IdentityModel) -> None:
    [first] = silent_principals(model, {"github-actions": days_ago(10)}, AS_OF, None)
    [second] = silent_principals(model, {"github-actions": days_ago(2)}, AS_OF + timedelta(days=20), None)
    assert first.dedup_key != second.dedup_key
