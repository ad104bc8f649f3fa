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
