"""detector-disabled on the detectors' switches red-team round 3 found unread (Pacu's detection__disruption
Config rules and aggregators; Security Hub standards and product imports; Access Analyzer archive rules;
Macie; Inspector; a GuardDuty administrator's members and findings export), delivered by prod's writes family."""

from __future__ import annotations

import json

import pytest

from chalicelib.findings import Severity

from .conftest import Replace, finding, model_from, record, replay_twice

RULE = "detector-disabled"
FIXTURE = "config-delete-config-rule.json"
MONITORING = """
    version: 1
    accounts: [{id: "630287363158", name: management}]
    principals:
      - {id: ops, kind: ci, auth: role, roles: [ops-automation], manages_monitoring: true}
"""
WHOLE = [
    ("config.amazonaws.com", "DeleteConfigurationAggregator", {"configurationAggregatorName": "org"}),
    ("securityhub.amazonaws.com", "BatchDisableStandards", {"standardsSubscriptionArns": ["arn:aws:securityhub:x"]}),
    ("macie2.amazonaws.com", "DisableMacie", {}),
    ("inspector2.amazonaws.com", "Disable", {"resourceTypes": ["EC2", "ECR"]}),
    ("guardduty.amazonaws.com", "DisassociateMembers", {"detectorId": "d", "accountIds": ["402918375610"]}),
    ("guardduty.amazonaws.com", "DeleteMembers", {"detectorId": "d", "accountIds": ["402918375610"]}),
    ("guardduty.amazonaws.com", "StopMonitoringMembers", {"detectorId": "d", "accountIds": ["402918375610"]}),
]
NARROWER = [
    ("access-analyzer.amazonaws.com", "CreateArchiveRule", {"analyzerName": "org", "ruleName": "r",
                                                            "filter": {"isPublic": {"eq": ["true"]}}}),
    ("securityhub.amazonaws.com", "DisableImportFindingsForProduct", {"productSubscriptionArn": "arn:aws:x"}),
    ("guardduty.amazonaws.com", "DeletePublishingDestination", {"detectorId": "d", "destinationId": "x"}),
]


def test_deleting_a_config_rule_is_medium_and_names_it():
    f = finding(record(FIXTURE), RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "cloudtrail-enabled" in f.reason


@pytest.mark.parametrize(("source", "name", "request_"), WHOLE, ids=[n for _, n, _ in WHOLE])
def test_a_detector_switched_off_is_high(source, name, request_):
    f = finding(record(FIXTURE, eventSource=source, eventName=name, requestParameters=Replace(request_)), RULE)
    assert f is not None and f.severity is Severity.HIGH


@pytest.mark.parametrize(("source", "name", "request_"), NARROWER, ids=[n for _, n, _ in NARROWER])
def test_one_check_removed_is_medium(source, name, request_):
    f = finding(record(FIXTURE, eventSource=source, eventName=name, requestParameters=Replace(request_)), RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_a_principal_declared_to_manage_monitoring_is_low():
    f = finding(record(FIXTURE), RULE, model_from(MONITORING))
    assert f is not None and f.severity is Severity.LOW


def test_the_same_names_from_other_services_are_not_judged():
    assert finding(record(FIXTURE, eventSource="securityhub.amazonaws.com", eventName="DisassociateMembers"),
                   RULE) is None
    assert finding(record(FIXTURE, eventSource="example.amazonaws.com", eventName="Disable"), RULE) is None


def test_replay_gives_the_same_output_with_and_without_the_memo(tmp_path, capsys):
    other = record(FIXTURE, eventSource="securityhub.amazonaws.com", eventName="DisassociateMembers")
    with_memo, without = replay_twice([other, record(FIXTURE), other, record(FIXTURE)], tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 2


def test_widening_an_access_analyzer_archive_rule_is_judged_like_adding_one():
    # UpdateArchiveRule replaces the rule's filter: findings it now matches are archived as they arrive.
    f = finding(record("access-analyzer-update-archive-rule.json"), RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "org-analyzer" in f.reason


CONTROLS = "securityhub-batch-update-standards-control-associations-disabled.json"
ONE_CONTROL = {"eventName": "UpdateStandardsControl", "requestParameters": Replace(
    {"standardsControlArn": "arn:aws:securityhub:us-east-1:630287363158:control/aws-foundational-security-best-"
                            "practices/v/1.0.0/CloudTrail.1", "controlStatus": "DISABLED", "disabledReason": "x"})}


def test_security_hub_controls_disabled_in_a_batch_are_medium_and_named():
    f = finding(record(CONTROLS), RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "CloudTrail.1" in f.reason


def test_one_security_hub_control_disabled_is_medium():
    f = finding(record(CONTROLS, **ONE_CONTROL), RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_security_hub_controls_enabled_are_not_judged():
    rec = record(CONTROLS)
    for update in rec["requestParameters"]["standardsControlAssociationUpdates"]:
        update["associationStatus"] = "ENABLED"
    assert finding(rec, RULE) is None
    one = record(CONTROLS, **ONE_CONTROL)
    one["requestParameters"]["controlStatus"] = "ENABLED"
    assert finding(one, RULE) is None


def test_control_updates_of_hostile_shapes_do_not_crash():
    for bad in ("x", None, [1], {"standardsControlAssociationUpdates": ["x", {"associationStatus": ["DISABLED"]}]}):
        finding(record(CONTROLS, requestParameters=Replace(bad)), RULE)


def test_control_updates_replay_the_same_with_and_without_the_memo(tmp_path, capsys):
    enabled = record(CONTROLS)
    for update in enabled["requestParameters"]["standardsControlAssociationUpdates"]:
        update["associationStatus"] = "ENABLED"
    one_on = record(CONTROLS, **ONE_CONTROL)
    one_on["requestParameters"]["controlStatus"] = "ENABLED"
    records = [enabled, record(CONTROLS), enabled, one_on, record(CONTROLS, **ONE_CONTROL), one_on]
    with_memo, without = replay_twice(records, tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 2
