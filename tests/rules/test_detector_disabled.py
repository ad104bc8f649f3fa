"""detector-disabled: GuardDuty, Config, Security Hub, Access Analyzer, flow logs, Resolver logging off."""

from __future__ import annotations

import pytest

from chalicelib.findings import Severity

from .conftest import Replace, finding, model_from, record

RULE = "detector-disabled"


def test_disabling_guardduty_is_high_and_says_what_is_no_longer_seen():
    f = finding(record("guardduty-update-detector.json"), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert f.details["control"] == "GuardDuty" and "GuardDuty threat findings" in f.breaks
    assert f.principal_arn == "arn:aws:sts::630287363158:assumed-role/ops-automation/nightly-cleanup"


def test_an_update_that_keeps_guardduty_enabled_is_not_a_finding():
    rec = record("guardduty-update-detector.json", requestParameters={"enable": True, "findingPublishingFrequency":
                                                                      "FIFTEEN_MINUTES"})
    assert finding(rec, RULE) is None


@pytest.mark.parametrize(("source", "name", "request_"), [
    ("guardduty.amazonaws.com", "DeleteDetector", {"detectorId": "12abc34d567e8fa901bc2d34e56789f0"}),
    ("guardduty.amazonaws.com", "DisassociateFromAdministratorAccount", {"detectorId": "12abc34d"}),
    ("config.amazonaws.com", "StopConfigurationRecorder", {"configurationRecorderName": "default"}),
    ("config.amazonaws.com", "DeleteDeliveryChannel", {"deliveryChannelName": "default"}),
    ("securityhub.amazonaws.com", "DisableSecurityHub", None),
    ("access-analyzer.amazonaws.com", "DeleteAnalyzer", {"analyzerName": "org-analyzer"}),
    ("ec2.amazonaws.com", "DeleteFlowLogs", {"DeleteFlowLogsRequest": {"FlowLogId": {"content": "fl-0abc",
                                                                                      "tag": 1}}}),
    ("route53resolver.amazonaws.com", "DisassociateResolverQueryLogConfig", {
        "resolverQueryLogConfigId": "rqlc-8ca61fe7c055415a", "resourceId": "vpc-0abc"}),
])
def test_each_detector_switched_off_is_high(source, name, request_):
    rec = record("guardduty-update-detector.json", eventSource=source, eventName=name,
                 requestParameters=Replace(request_))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH, name


def test_a_principal_allowed_to_manage_monitoring_is_low():
    model = model_from("""
        version: 1
        accounts: [{id: "630287363158", name: management}]
        principals:
          - {id: ops, kind: workload, auth: role, roles: [ops-automation], manages_monitoring: true}
    """)
    f = finding(record("guardduty-update-detector.json"), RULE, model=model)
    assert f is not None and f.severity is Severity.LOW


def test_a_refused_attempt_is_medium():
    f = finding(record("guardduty-update-detector.json", errorCode="AccessDenied"), RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_the_same_name_from_another_service_is_not_a_detector():
    rec = record("guardduty-update-detector.json", eventSource="example.amazonaws.com", eventName="DeleteDetector")
    assert finding(rec, RULE) is None


def test_null_request_parameters_on_update_detector_are_not_a_finding():
    assert finding(record("guardduty-update-detector.json", requestParameters=None), RULE) is None


def test_aws_switching_a_detector_off_under_its_own_identity_is_low():
    rec = record("guardduty-update-detector.json", userIdentity=Replace({"type": "AWSService",
                                                                        "invokedBy": "guardduty.amazonaws.com"}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.LOW and "AWS made this call itself" in f.reason


def test_a_caller_switching_a_detector_off_through_cloudformation_stays_high():
    f = finding(record("guardduty-update-detector.json", userIdentity={"invokedBy": "cloudformation.amazonaws.com"}),
                RULE)
    assert f is not None and f.severity is Severity.HIGH
