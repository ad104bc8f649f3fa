"""The daily organization schedules: coverage gaps and account drift become stored findings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from chalicelib import runtime
from chalicelib.org.sandbox import OrgSandbox
from chalicelib.org.scheduled import organization_findings, run_coverage
from chalicelib.settings import Settings
from chalicelib.watch.heartbeat import HEARTBEAT_KIND

from .conftest import CENTRAL

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def org(aws: None, member_template: dict[str, Any]) -> OrgSandbox:
    box = OrgSandbox(member_template, CENTRAL)
    box.session(CENTRAL).client("organizations", region_name="us-east-1").create_organization(FeatureSet="ALL")
    return box


def members(box: OrgSandbox) -> list[str]:
    client = box.session(CENTRAL).client("organizations", region_name="us-east-1")
    return [a["Id"] for a in client.list_accounts()["Accounts"]]


def test_a_gap_in_one_organization_account_is_stored_as_one_coverage_finding(org: OrgSandbox, tmp_path: Path) -> None:
    from chalicelib.identity import load_model

    accounts = sorted(set(members(org)) | set(load_model(None).accounts))  # the org's, and the model's
    for account in accounts:
        org.add_member(account, ("us-east-1", "eu-west-1"))
    org.session(CENTRAL).client("events", region_name="eu-west-1").disable_rule(Name="trailwarden-forward-ssm")
    mon = runtime.build_monitor(Settings(store_url=f"sqlite:///{tmp_path / 'db.sqlite'}", slack_enabled=False,
                                         routing="critical=;high=;medium=;low=;info="))
    for account in accounts:  # every member's heartbeat arrived (chalicelib/watch: the pipeline family notes it)
        for region in ("us-east-1", "eu-west-1"):
            mon.state.touch(HEARTBEAT_KIND, f"{account}/{region}", NOW - timedelta(minutes=5), timedelta(0))
    env = {"TRAILWARDEN_EVENT_BUS": org.bus, "TRAILWARDEN_STAGE": "org", "TRAILWARDEN_REGIONS": "eu-west-1"}
    summary = run_coverage(mon, env, NOW, session=org.session(CENTRAL))
    assert (summary["cells"], summary["gaps"]) == (2 * len(accounts), 1)
    (incident,) = list(mon.store.iter_all())
    assert (incident.rule, incident.account, incident.region) == ("coverage-gap", CENTRAL, "eu-west-1")


def test_organization_audit_reports_org_accounts_the_model_lacks(org: OrgSandbox) -> None:
    from chalicelib.identity import load_model

    model = load_model(None)
    findings = organization_findings(model, NOW, session=org.session(CENTRAL))
    undeclared = {f.account for f in findings if f.rule == "identity-undeclared-account"}
    assert undeclared == set(members(org)) - set(model.accounts)
    assert {f.account for f in findings if f.rule == "model-account-not-in-organization"} == set(model.accounts)


def test_organization_audit_reports_each_undeclared_account_once(org: OrgSandbox) -> None:
    from chalicelib.identity import load_model

    findings = organization_findings(load_model(None), NOW, session=org.session(CENTRAL))
    undeclared = [f.account for f in findings if f.rule == "identity-undeclared-account"]
    assert undeclared and len(undeclared) == len(set(undeclared))


def test_a_member_without_a_heartbeat_is_a_gap_naming_it(org: OrgSandbox, tmp_path: Path) -> None:
    org.add_member(CENTRAL, ("us-east-1",))
    mon = runtime.build_monitor(Settings(store_url=f"sqlite:///{tmp_path / 'db.sqlite'}", slack_enabled=False,
                                         routing="critical=;high=;medium=;low=;info="))
    env = {"TRAILWARDEN_EVENT_BUS": org.bus, "TRAILWARDEN_STAGE": "org"}
    run_coverage(mon, env, NOW, session=org.session(CENTRAL))
    reasons = {(i.account, i.region): i.reason for i in mon.store.iter_all()}
    assert reasons[(CENTRAL, "us-east-1")] == f"master ({CENTRAL}) us-east-1: no heartbeat received."  # org name


def test_model_check_organization_lists_undeclared_org_accounts(org: OrgSandbox, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: Any) -> None:
    from chalicelib.cli import main

    creds = org.session(CENTRAL).get_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds.token)
    assert main(["model", "check", "--organization", "--format", "json"]) == 1
    out = capsys.readouterr().out
    assert '"rule":"identity-undeclared-account"' in out.replace(" ", "") and CENTRAL in out
