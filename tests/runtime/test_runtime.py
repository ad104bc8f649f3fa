"""``chalicelib.runtime``: what the Chalice handlers call — events in, auditor API out, daily audit."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from chalicelib import runtime
from chalicelib.errors import ConfigError
from chalicelib.findings import FINDING_FIELDS
from chalicelib.incidents.state import LAST_SEEN
from chalicelib.notify import CapturingSlackSender
from chalicelib.notify.message import redact_value
from chalicelib.settings import Settings

from .conftest import MOTO_ACCOUNT, NOW, STORY_ACCOUNT, Installed, ci_put_object, story

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "records"

SILENT = "identity-principal-silent"


def delete_ci_user() -> dict:
    return story("04-root-deletes-ci-user.eventbridge.json")


# -- CloudTrail handlers --------------------------------------------------------------------
def test_handle_cloudtrail_returns_the_summary_with_the_handler_family(installed: Installed) -> None:
    summary = runtime.handle_cloudtrail(delete_ci_user(), "iam")
    assert summary["family"] == "iam"
    assert summary["event_id"] == "9a1b7e55-3a53-4f2e-9a1e-0c6f4f1a0006"
    assert summary["skipped"] is None
    assert {(f["rule"], f["status"]) for f in summary["findings"]} == {("iam-delete-user", "new"),
                                                                       ("root-api-use", "new")}
    assert all(f["alerted"] == ["slack"] for f in summary["findings"])


def test_handle_cloudtrail_skips_a_malformed_envelope_and_says_why(installed: Installed) -> None:
    summary = runtime.handle_cloudtrail({**delete_ci_user(), "detail": 42}, "iam")
    assert summary["family"] == "iam" and summary["findings"] == []
    assert "expected a JSON object" in summary["skipped"]


def test_the_installed_monitor_is_the_one_handlers_use(installed: Installed) -> None:
    runtime.handle_cloudtrail(delete_ci_user(), "iam")
    assert {"iam-delete-user", "root-api-use"} == {i.rule for i in installed.store.iter_all()}
    assert len(installed.alerts) == 2


# -- auditor API ----------------------------------------------------------------------------
def test_list_incidents_filters_by_rule(installed: Installed) -> None:
    runtime.handle_cloudtrail(delete_ci_user(), "iam")
    runtime.handle_cloudtrail(story("01-root-console-signin.eventbridge.json"), "signin")
    page = runtime.list_incidents({"rule": "iam-delete-user"})
    assert [(i["rule"], i["target_arn"]) for i in page["incidents"]] == [
        ("iam-delete-user", f"arn:aws:iam::{STORY_ACCOUNT}:user/github-actions-aws-deployer")]
    assert page["next_token"] is None


def test_listed_incidents_carry_the_design_fields_but_not_the_raw_record(installed: Installed) -> None:
    runtime.handle_cloudtrail(delete_ci_user(), "iam")
    row = runtime.list_incidents({"rule": "iam-delete-user"})["incidents"][0]
    assert {*FINDING_FIELDS, "incident_id", "count", "first_seen", "last_seen"} <= set(row)
    assert "raw_event" not in row


def test_list_incidents_pages_with_a_next_token_and_no_repeats(installed: Installed) -> None:
    for name in ("01-root-console-signin.eventbridge.json", "04-root-deletes-ci-user.eventbridge.json"):
        runtime.handle_cloudtrail(story(name), "root")
    first = runtime.list_incidents({"limit": "2"})
    second = runtime.list_incidents({"limit": "2", "next_token": first["next_token"]})
    ids = [i["incident_id"] for i in first["incidents"] + second["incidents"]]
    assert len(first["incidents"]) == 2 and first["next_token"]
    assert len(ids) == len(set(ids)) == 3 and second["next_token"] is None


def test_list_incidents_accepts_hyphenated_filter_names(installed: Installed) -> None:
    runtime.handle_cloudtrail(delete_ci_user(), "iam")
    rows = runtime.list_incidents({"severity-at-least": "critical"})["incidents"]
    assert [r["rule"] for r in rows] == ["root-api-use"]


@pytest.mark.parametrize(("params", "named"), [
    ({"severity_at_least": "urgent"}, "severity_at_least"),
    ({"colour": "red"}, "colour"),
    ({"since": "last tuesday"}, "since"),
    ({"limit": "lots"}, "limit"),
    ({"next_token": "not-a-token-we-issued"}, "next_token"),
])
def test_a_bad_filter_raises_config_error_naming_it(installed: Installed, params: dict, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        runtime.list_incidents(params)


def test_get_incident_returns_the_incident_with_its_cloudtrail_record(installed: Installed) -> None:
    runtime.handle_cloudtrail(delete_ci_user(), "iam")
    listed = runtime.list_incidents({"rule": "iam-delete-user"})["incidents"][0]
    incident = runtime.get_incident(listed["incident_id"])
    assert incident["raw_event"] == redact_value(delete_ci_user()["detail"])  # key ids masked to …XXXX
    assert incident["count"] == 1 and incident["principal_arn"] == f"arn:aws:iam::{STORY_ACCOUNT}:root"


def test_get_incident_of_an_unknown_id_is_none(installed: Installed) -> None:
    assert runtime.get_incident("inc-000000000000000000000000") is None


# -- the daily audit: silence ---------------------------------------------------------------
def silent_rows() -> list[dict]:
    return runtime.list_incidents({"rule": SILENT})["incidents"]


def test_the_daily_audit_stores_silence_for_the_ci_user_last_seen_long_ago(
        installed: Installed, ci_user_in_iam: str) -> None:
    installed.state.touch(LAST_SEEN, "github-actions", NOW - timedelta(days=30))
    summary = runtime.run_scheduled_audit(now=NOW)
    assert (SILENT, "new") in {(f["rule"], f["status"]) for f in summary["findings"]}
    [row] = silent_rows()
    assert (row["principal"], row["principal_arn"], row["severity"]) == ("github-actions", ci_user_in_iam, "high")
    assert row["breaks"] == "Terraform CI in GitHub Actions"
    assert "30 days ago" in row["reason"]


def test_the_daily_audit_alerts_the_silence(installed: Installed, ci_user_in_iam: str) -> None:
    installed.state.touch(LAST_SEEN, "github-actions", NOW - timedelta(days=30))
    runtime.run_scheduled_audit(now=NOW)
    assert [t for t in installed.alerts if SILENT in t and "github-actions" in t]


def test_the_daily_audit_finds_no_silence_for_a_principal_seen_yesterday(
        installed: Installed, ci_user_in_iam: str) -> None:
    installed.state.touch(LAST_SEEN, "github-actions", NOW - timedelta(days=1))
    summary = runtime.run_scheduled_audit(now=NOW)
    assert SILENT not in {f["rule"] for f in summary["findings"]}


def test_activity_handled_by_the_monitor_keeps_the_ci_user_from_being_silent(
        installed: Installed, ci_user_in_iam: str) -> None:
    runtime.run_scheduled_audit(now=NOW - timedelta(days=20))  # monitoring began 20 days ago
    runtime.handle_cloudtrail(ci_put_object("2026-11-24T11:05:00Z"), "writes")
    runtime.run_scheduled_audit(now=NOW)
    assert silent_rows() == []


def test_a_principal_never_seen_is_not_silent_on_the_first_audit(installed: Installed, ci_user_in_iam: str) -> None:
    summary = runtime.run_scheduled_audit(now=NOW)
    assert SILENT not in {f["rule"] for f in summary["findings"]}


def test_a_principal_never_seen_is_silent_once_monitoring_ran_longer_than_its_period(
        installed: Installed, ci_user_in_iam: str) -> None:
    runtime.run_scheduled_audit(now=NOW - timedelta(days=8))
    runtime.run_scheduled_audit(now=NOW)
    [row] = silent_rows()
    assert row["principal"] == "github-actions" and "not seen since monitoring began 2026-11-18" in row["reason"]


def test_the_same_silence_audited_again_the_next_day_is_not_alerted_twice(
        installed: Installed, ci_user_in_iam: str) -> None:
    installed.state.touch(LAST_SEEN, "github-actions", NOW - timedelta(days=30))
    runtime.run_scheduled_audit(now=NOW)
    runtime.run_scheduled_audit(now=NOW + timedelta(days=1))
    assert len(silent_rows()) == 1
    assert len([t for t in installed.alerts if SILENT in t]) == 1


def test_a_principal_that_goes_silent_again_after_acting_is_alerted_again(
        installed: Installed, ci_user_in_iam: str) -> None:
    installed.state.touch(LAST_SEEN, "github-actions", NOW - timedelta(days=30))
    runtime.run_scheduled_audit(now=NOW)
    runtime.handle_cloudtrail(ci_put_object("2026-11-27T10:00:00Z"), "writes")  # CI fixed, runs again
    runtime.run_scheduled_audit(now=NOW + timedelta(days=20))  # …and breaks again
    assert len(silent_rows()) == 2
    assert len([t for t in installed.alerts if SILENT in t]) == 2


# -- default wiring -------------------------------------------------------------------------
def test_build_monitor_wires_the_settings_store_and_an_injected_slack_sender(aws: None, tmp_path: Path) -> None:
    topic = boto3.client("sns").create_topic(Name="trailwarden-alerts")["TopicArn"]
    slack = CapturingSlackSender()
    cfg = Settings(store_url=f"sqlite:///{tmp_path / 'wired.db'}", topic_arn=topic)
    runtime.use(runtime.build_monitor(cfg, slack=slack))
    try:
        summary = runtime.handle_cloudtrail(story("01-root-console-signin.eventbridge.json"), "signin")
    finally:
        runtime.use(None)
    assert summary["findings"][0]["alerted"] == ["slack", "sns"]
    assert len(slack.payloads) == 1


def test_without_use_the_first_event_builds_the_monitor_from_the_environment(
        aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_settings: None) -> None:
    topic = boto3.client("sns").create_topic(Name="trailwarden-alerts")["TopicArn"]
    monkeypatch.setenv("TRAILWARDEN_STORE", f"sqlite:///{tmp_path / 'lazy.db'}")
    monkeypatch.setenv("TRAILWARDEN_TOPIC_ARN", topic)
    monkeypatch.setenv("TRAILWARDEN_SLACK_ENABLED", "false")
    runtime.use(None)
    summary = runtime.handle_cloudtrail(story("01-root-console-signin.eventbridge.json"), "signin")
    assert summary["findings"][0]["alerted"] == ["sns"]
    assert [i["rule"] for i in runtime.list_incidents({})["incidents"]] == ["root-signin"]


def test_build_monitor_keeps_the_alert_ledger_in_the_incident_file(
        aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # ``sqlite:///tmp/x.db`` names /tmp/x.db (file-URL reading); the state must land in that same file.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    db = tmp_path / "data" / "wired.db"
    cfg = Settings(store_url="sqlite:///" + str(db).lstrip("/"))
    runtime.use(runtime.build_monitor(cfg, slack=CapturingSlackSender()))
    try:
        runtime.handle_cloudtrail(story("01-root-console-signin.eventbridge.json"), "signin")
    finally:
        runtime.use(None)
    with sqlite3.connect(db) as conn:
        kinds = {kind for (kind,) in conn.execute("SELECT kind FROM state")}
    assert "alerted" in kinds


# -- the daily audit: live keys become what history counts --------------------------------------
def _admin_creates_ci_key(account: str, event_id: str) -> dict:
    """The SSO admin creates a key for the CI user, in ``account`` (record from tests/fixtures)."""
    record = json.loads((FIXTURES / "create-access-key.json").read_text(encoding="utf-8"))
    record = json.loads(json.dumps(record).replace(STORY_ACCOUNT, account))
    record.update(eventID=event_id, eventTime="2026-11-24T12:00:00Z")
    return {"version": "0", "id": event_id, "detail-type": "AWS API Call via CloudTrail", "source": "aws.iam",
            "account": account, "time": record["eventTime"], "region": "us-east-1", "resources": [],
            "detail": record}


def test_after_the_audit_saw_the_ci_users_key_a_second_key_exceeds_max_active_keys(
        installed: Installed, ci_user_in_iam: str) -> None:
    runtime.run_scheduled_audit(now=NOW)
    runtime.handle_cloudtrail(_admin_creates_ci_key(MOTO_ACCOUNT, "admin-key-0001"), "iam")
    [row] = runtime.list_incidents({"rule": "iam-create-access-key"})["incidents"]
    assert row["severity"] == "high"
    assert "would have 2 active keys; the model allows 1" in row["reason"]


def test_without_an_audit_an_admins_first_known_key_for_the_ci_user_is_a_low_rotation(
        installed: Installed, ci_user_in_iam: str) -> None:
    runtime.handle_cloudtrail(_admin_creates_ci_key(MOTO_ACCOUNT, "admin-key-0002"), "iam")
    [row] = runtime.list_incidents({"rule": "iam-create-access-key"})["incidents"]
    assert row["severity"] == "low"


def test_incident_queries_name_the_account(installed: Installed) -> None:
    """Issue 14: the auditor API never answers with a bare account id when a name is known."""
    runtime.handle_cloudtrail(delete_ci_user(), "iam")
    listed = runtime.list_incidents({"rule": "iam-delete-user"})["incidents"][0]
    assert (listed["account"], listed["account_name"]) == (STORY_ACCOUNT, "management")
    assert runtime.get_incident(listed["incident_id"])["account_name"] == listed["account_name"]
