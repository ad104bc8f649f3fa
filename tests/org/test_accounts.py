"""Accounts by name: model names first, the organization's list refreshed daily, drift both ways."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from chalicelib.identity import parse_model
from chalicelib.org.accounts import AccountNames, OrgAccount, account_drift, list_org_accounts, place

PROD, SANDBOX, GONE = "502938471625", "830114209365", "111122223333"
MODEL = parse_model(f"""
version: 1
accounts:
  - {{id: "{PROD}", name: prod}}
  - {{id: "{GONE}", name: legacy}}
""")
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def test_an_alert_place_reads_name_id_and_region() -> None:
    assert place(PROD, "eu-west-1", {PROD: "prod"}) == f"prod ({PROD}) eu-west-1"
    assert place(SANDBOX, "eu-west-1", {}) == f"{SANDBOX} eu-west-1"


def test_model_names_win_and_the_organization_names_the_rest() -> None:
    names = AccountNames({PROD: "prod"}, lambda: (OrgAccount(PROD, "Production"), OrgAccount(SANDBOX, "sandbox")))
    assert names.get(PROD) == "prod" and names.get(SANDBOX) == "sandbox" and names.get(GONE) is None


def test_the_organization_is_read_once_a_day() -> None:
    calls: list[int] = []
    clock = Clock()

    def fetch() -> tuple[OrgAccount, ...]:
        calls.append(1)
        return (OrgAccount(SANDBOX, f"sandbox-{len(calls)}"),)

    names = AccountNames({}, fetch, clock)
    assert names.get(SANDBOX) == "sandbox-1"
    clock.now += timedelta(hours=23)
    assert names.get(SANDBOX) == "sandbox-1"
    clock.now += timedelta(hours=2)
    assert names.get(SANDBOX) == "sandbox-2"


def test_a_failed_refresh_keeps_the_last_names() -> None:
    clock = Clock()
    answers: list[Any] = [(OrgAccount(SANDBOX, "sandbox"),), RuntimeError("AccessDenied")]

    def fetch() -> tuple[OrgAccount, ...]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    names = AccountNames({}, fetch, clock)
    assert names.get(SANDBOX) == "sandbox"
    clock.now += timedelta(days=2)
    assert names.get(SANDBOX) == "sandbox"


def test_an_organization_account_missing_from_the_model_is_undeclared_once() -> None:
    findings = account_drift(MODEL, (OrgAccount(PROD, "prod"), OrgAccount(SANDBOX, "sandbox")), NOW)
    undeclared = [f for f in findings if f.rule == "identity-undeclared-account"]
    assert [(f.account, f.group_key) for f in undeclared] == [(SANDBOX, f"account:{SANDBOX}")]
    assert undeclared[0].reason.startswith(f"Account sandbox ({SANDBOX}) is in the organization")


def test_a_model_account_the_organization_lacks_is_reported() -> None:
    findings = account_drift(MODEL, (OrgAccount(PROD, "prod"),), NOW)
    assert [(f.rule, f.account) for f in findings] == [("model-account-not-in-organization", GONE)]


def test_a_model_matching_the_organization_has_no_account_drift() -> None:
    assert account_drift(MODEL, (OrgAccount(PROD, "prod"), OrgAccount(GONE, "legacy")), NOW) == []


def test_org_accounts_are_listed_from_organizations(aws: None) -> None:
    client = boto3.client("organizations", region_name="us-east-1")
    client.create_organization(FeatureSet="ALL")
    created = client.create_account(Email="sb@example.com", AccountName="sandbox")["CreateAccountStatus"]
    accounts = list_org_accounts(client)
    assert (created["AccountId"], "sandbox") in {(a.id, a.name) for a in accounts}


def test_an_alert_text_names_the_account_with_its_id_and_region() -> None:
    from chalicelib.findings import Finding, Severity
    from chalicelib.notify.message import AlertContext, fallback_text

    finding = Finding(rule="sts-assume-role-failed", severity=Severity.HIGH, title="AssumeRole refused",
                      principal_arn=None, principal=None, target_arn=None, event_id="e1", event_name="AssumeRole",
                      event_source="sts.amazonaws.com", event_time="2026-12-01T08:14:09Z", account=PROD,
                      region="eu-west-1", source_ip=None, user_agent=None, breaks=None, runbook="", reason="r")
    text = fallback_text(finding, AlertContext(account_name="prod"))
    assert f"Account: prod ({PROD}) eu-west-1" in text.splitlines()


def test_the_table_row_of_an_organization_incident_names_its_account() -> None:
    from chalicelib.cli.output import table_row

    row = {"severity": "high", "rule": "sts-assume-role-failed", "account": "502938471625", "region": "eu-west-1",
           "place": "prod (502938471625) eu-west-1", "reason": "refused"}
    text = table_row(row, width=100)
    assert "prod (502938471625) eu-west-1" in text and "502938471625/eu-west-1" not in text
