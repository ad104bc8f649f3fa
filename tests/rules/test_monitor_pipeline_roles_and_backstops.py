"""monitor-pipeline-tampered on the quieter ways to switch the monitor off (red-team of issue 12).

A Deny managed policy or a permissions boundary on a handler's role, the heartbeat schedule, the
alarm that pages without any Lambda, and a subscription's filter policy: each blinds Trailwarden
as surely as DisableRule, and each is judged on Trailwarden's own resources only.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.engine import Engine
from chalicelib.findings import Severity
from chalicelib.identity import load_model
from chalicelib.rules.monitor_pipeline_tampered import MonitorPipelineTampered
from chalicelib.watch.own import OwnResources

from .conftest import Replace, finding, record, replay_twice, to_event

RULE = "monitor-pipeline-tampered"
ROOT = Path(__file__).resolve().parents[2]
RECORDS = ROOT / "tests" / "fixtures" / "records"
FIXTURES = ("iam-attach-role-policy-deny-all.json", "iam-put-role-permissions-boundary.json",
            "scheduler-delete-schedule.json", "cloudwatch-disable-alarm-actions.json",
            "sns-set-subscription-attributes.json", "events-remove-permission-central-bus.json",
            "cloudtrail-update-trail-kms-key.json")


def test_attaching_a_deny_all_policy_to_a_handler_role_is_critical():
    f = finding(record("iam-attach-role-policy-deny-all.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "trailwarden-prod-iam" in f.reason and "AttachRolePolicy" in f.reason


def test_attaching_a_policy_to_another_teams_role_is_not_a_finding():
    rec = record("iam-attach-role-policy-deny-all.json", requestParameters={"roleName": "payments-api"})
    assert finding(rec, RULE) is None


def test_a_permissions_boundary_on_the_pipeline_handlers_role_is_critical():
    f = finding(record("iam-put-role-permissions-boundary.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL and "permissions boundary" in f.reason


def test_deleting_the_heartbeat_schedule_says_the_heartbeat_is_gone():
    f = finding(record("scheduler-delete-schedule.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert f.details["switched_off"] is True and "heartbeat" in f.breaks


def test_deleting_someone_elses_schedule_is_not_a_finding():
    rec = record("scheduler-delete-schedule.json", requestParameters={"name": "nightly-report", "groupName": "default"})
    assert finding(rec, RULE) is None


def test_disabling_the_heartbeat_silent_alarms_actions_is_critical():
    f = finding(record("cloudwatch-disable-alarm-actions.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL and "independent of every Lambda" in f.breaks


def test_disabling_other_alarms_actions_is_not_a_finding():
    rec = record("cloudwatch-disable-alarm-actions.json", requestParameters={"alarmNames": ["payments-5xx"]})
    assert finding(rec, RULE) is None


def test_an_alarm_list_naming_one_of_trailwardens_among_others_is_a_finding():
    rec = record("cloudwatch-disable-alarm-actions.json",
                 requestParameters={"alarmNames": ["payments-5xx", "trailwarden-prod-dead-letters"]})
    f = finding(rec, RULE)
    assert f is not None and f.details["resource"] == "trailwarden-prod-dead-letters"


def test_a_filter_policy_on_the_alert_topics_subscription_is_critical():
    f = finding(record("sns-set-subscription-attributes.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL and "subscription" in f.reason


def test_a_filter_policy_on_another_topics_subscription_is_not_a_finding():
    rec = record("sns-set-subscription-attributes.json", requestParameters={
        "subscriptionArn": "arn:aws:sns:us-east-1:630287363158:payments-alerts:0b1c2d3e",
        "attributeName": "FilterPolicy", "attributeValue": "{}"})
    assert finding(rec, RULE) is None


def test_a_members_forwarding_role_of_a_real_region_is_ours_and_a_look_alike_is_not():
    own = OwnResources.from_env({"TRAILWARDEN_STAGE": "prod"})
    assert own.role("trailwarden-forward-eu-west-1") and own.role("trailwarden-member-readonly")
    assert own.role("arn:aws:iam::630287363158:role/trailwarden-forward-us-gov-west-1")
    for name in ("trailwarden-forward-anything", "trailwarden-forward-eu-west-1-copy", "trailwarden-member"):
        assert not own.role(name), name


def test_the_schedule_and_alarms_are_named_for_the_deployed_stage():
    own = OwnResources.from_env({"TRAILWARDEN_STAGE": "blue"})
    assert own.schedule("trailwarden-blue-heartbeat") and not own.schedule("trailwarden-prod-heartbeat")
    assert own.alarm("arn:aws:cloudwatch:us-east-1:630287363158:alarm:trailwarden-blue-heartbeat-silent")
    assert not own.alarm("trailwarden-blue-heartbeat-silent-2")


def _central(doc: dict, env: dict[str, str]) -> list[str]:
    """Rules fired with the organization's central bus known from ``env`` (as the central stack exports it)."""
    rules = [MonitorPipelineTampered(own=OwnResources.from_env({"TRAILWARDEN_STAGE": "prod", **env}))]
    return [f.rule for f in Engine(load_model(None), rules=rules).judge(to_event(doc))]


def test_removing_the_members_permission_from_the_central_bus_is_critical():
    doc = record("events-remove-permission-central-bus.json")
    assert _central(doc, {"TRAILWARDEN_EVENT_BUS": "trailwarden-org"}) == [RULE]


def test_a_permission_on_the_default_bus_of_a_single_account_stage_is_not_a_finding():
    doc = record("events-remove-permission-central-bus.json", requestParameters=Replace(
        {"statementId": "partner-feed", "removeAllPermissions": False}))
    assert _central(doc, {"TRAILWARDEN_EVENT_BUS": "default"}) == []


def test_a_permission_on_another_teams_bus_is_not_a_finding():
    doc = record("events-remove-permission-central-bus.json", requestParameters={"eventBusName": "payments-bus"})
    assert _central(doc, {"TRAILWARDEN_EVENT_BUS": "trailwarden-org"}) == []


def test_replay_gives_the_same_output_with_and_without_the_memo(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]):
    with_memo, without = replay_twice([json.loads((RECORDS / name).read_text()) for name in FIXTURES] * 2,
                                      tmp_path, capsys)
    assert with_memo == without
    rules = [json.loads(line)["rule"] for line in with_memo.splitlines()]
    assert sum(rule.startswith("monitor-") for rule in rules) == len(FIXTURES) * 2
