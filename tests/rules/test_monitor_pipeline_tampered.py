"""monitor-pipeline-tampered: only Trailwarden's own resources, named exactly by settings."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.engine import Engine
from chalicelib.findings import Finding, Severity
from chalicelib.identity import load_model
from chalicelib.rules.monitor_pipeline_tampered import MonitorPipelineTampered
from chalicelib.watch.own import OwnResources

from .conftest import Replace, finding, identity_of, model_from, record, to_event

RULE = "monitor-pipeline-tampered"
ACCT = "630287363158"
# What the deployed template exports (deploy/build_merge_template.py), for a stage named "blue".
DEPLOYED = OwnResources.from_env({
    "TRAILWARDEN_STAGE": "blue", "TRAILWARDEN_TABLE": "tw-blue-incidents",
    "TRAILWARDEN_TOPIC_ARN": f"arn:aws:sns:us-east-1:{ACCT}:trailwarden-blue-alerts",
    "TRAILWARDEN_SLACK_WEBHOOK_PARAM": "/trailwarden/blue/slack-webhook-url",
    "TRAILWARDEN_KEY_ARN": f"arn:aws:kms:us-east-1:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "TRAILWARDEN_STACK_NAME": "security-monitoring",
    "TRAILWARDEN_RULE_NAMES": "trailwarden-blue-root,trailwarden-blue-iam",
    "TRAILWARDEN_FUNCTION_NAMES": "trailwarden-blue-root,trailwarden-blue-iam",
    "TRAILWARDEN_ROLE_NAMES": "trailwarden-blue-iam,trailwarden-blue-heartbeat",
})
_ENGINE = Engine(load_model(None), rules=[MonitorPipelineTampered(own=DEPLOYED)])


def deployed(doc: dict[str, Any]) -> Finding | None:
    """The rule's verdict with the deployed stage's names (not the laptop's config)."""
    findings = _ENGINE.judge(to_event(doc))
    return findings[0] if findings else None


def call(source: str, name: str, request: Any, **more: Any) -> dict[str, Any]:
    return record("events-disable-rule.json", eventSource=source, eventName=name, requestParameters=Replace(request),
                  **more)


def test_disabling_trailwardens_root_rule_is_critical_and_says_root_activity_is_unseen():
    f = finding(record("events-disable-rule.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert f.principal_arn == f"arn:aws:sts::{ACCT}:assumed-role/ops-automation/nightly-cleanup"
    assert "root activity" in f.breaks and f.details["switched_off"] is True


def test_concurrency_zero_on_the_iam_handler_switches_it_off():
    f = finding(record("lambda-put-function-concurrency.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "reserved concurrency 0" in f.reason and "IAM credential changes" in f.breaks


def test_a_rule_or_function_named_by_name_becomes_the_target_arn_and_fills_the_runbook():
    rule = finding(record("events-disable-rule.json"), RULE)
    fn = finding(record("lambda-put-function-concurrency.json"), RULE)
    assert rule is not None and fn is not None
    assert rule.target_arn == f"arn:aws:events:us-east-1:{ACCT}:rule/trailwarden-prod-root"
    assert "aws events enable-rule --name trailwarden-prod-root" in rule.runbook
    assert fn.target_arn == f"arn:aws:lambda:us-east-1:{ACCT}:function:trailwarden-prod-iam"
    assert "--function-name trailwarden-prod-iam" in fn.runbook


def test_a_positive_concurrency_is_still_reported_as_a_change():
    rec = record("lambda-put-function-concurrency.json", requestParameters={"reservedConcurrentExecutions": 1})
    f = finding(rec, RULE)
    assert f is not None and "limited to 1" in f.reason and f.details["switched_off"] is False


def test_disabling_a_rule_that_is_not_trailwardens_is_not_a_finding():
    assert finding(record("events-disable-rule.json", requestParameters={"name": "payments-nightly"}), RULE) is None


def test_a_look_alike_name_is_not_trailwardens():
    for name in ("trailwarden-prod-root-copy", "old-trailwarden-prod-root", "trailwarden-prod"):
        assert finding(record("events-disable-rule.json", requestParameters={"name": name}), RULE) is None, name


def test_a_declared_principal_allowed_to_manage_monitoring_is_low():
    model = model_from("""
        version: 1
        accounts: [{id: "630287363158", name: management}]
        principals:
          - {id: deployer, kind: ci, auth: role, roles: [ops-automation], manages_monitoring: true}
    """)
    f = finding(record("events-disable-rule.json"), RULE, model=model)
    assert f is not None and f.severity is Severity.LOW


def test_a_refused_attempt_is_reported_one_step_lower():
    f = finding(record("events-disable-rule.json", errorCode="AccessDeniedException"), RULE)
    assert f is not None and f.severity is Severity.HIGH


@pytest.mark.parametrize(("source", "name", "request_"), [
    ("events.amazonaws.com", "RemoveTargets", {"rule": "trailwarden-blue-iam", "ids": ["Iam"]}),
    ("events.amazonaws.com", "PutTargets", {"rule": f"arn:aws:events:us-east-1:{ACCT}:rule/trailwarden-blue-root",
                                            "targets": [{"id": "x", "arn": "arn:aws:sqs:us-east-1:1:q"}]}),
    ("lambda.amazonaws.com", "DeleteFunction20150331", {"functionName": "trailwarden-blue-iam"}),
    ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2",
     {"functionName": f"arn:aws:lambda:us-east-1:{ACCT}:function:trailwarden-blue-root", "publish": True}),
    ("lambda.amazonaws.com", "RemovePermission20150331v2", {"functionName": "trailwarden-blue-root:$LATEST",
                                                            "statementId": "events"}),
    ("sns.amazonaws.com", "DeleteTopic", {"topicArn": f"arn:aws:sns:us-east-1:{ACCT}:trailwarden-blue-alerts"}),
    ("sns.amazonaws.com", "Unsubscribe", {"subscriptionArn": f"arn:aws:sns:us-east-1:{ACCT}:trailwarden-blue-alerts:"
                                                             "0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e"}),
    ("dynamodb.amazonaws.com", "DeleteTable", {"tableName": "tw-blue-incidents"}),
    ("dynamodb.amazonaws.com", "UpdateContinuousBackups", {"tableName": "tw-blue-incidents",
                                                           "pointInTimeRecoverySpecification": {
                                                               "pointInTimeRecoveryEnabled": False}}),
    ("kms.amazonaws.com", "ScheduleKeyDeletion", {"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
                                                  "pendingWindowInDays": 7}),
    ("ssm.amazonaws.com", "PutParameter", {"name": "/trailwarden/blue/slack-webhook-url", "type": "SecureString",
                                           "overwrite": True}),
    ("ssm.amazonaws.com", "DeleteParameters", {"names": ["/x", "/trailwarden/blue/slack-webhook-url"]}),
    ("iam.amazonaws.com", "DeleteRolePolicy", {"roleName": "trailwarden-blue-iam", "policyName": "IamRolePolicy"}),
    ("cloudformation.amazonaws.com", "DeleteStack", {
        "stackName": f"arn:aws:cloudformation:us-east-1:{ACCT}:stack/security-monitoring/0a1b2c3d-aaaa-bbbb"}),
])
def test_each_call_on_a_deployed_resource_is_a_finding(source: str, name: str, request_: dict[str, Any]):
    f = deployed(call(source, name, request_))
    assert f is not None and f.rule == RULE and f.severity is Severity.CRITICAL, (name, request_)


@pytest.mark.parametrize(("source", "name", "request_"), [
    ("events.amazonaws.com", "RemoveTargets", {"rule": "trailwarden-prod-iam", "ids": ["Iam"]}),  # another stage
    ("lambda.amazonaws.com", "DeleteFunction20150331", {"functionName": "payments-api"}),
    ("sns.amazonaws.com", "DeleteTopic", {"topicArn": f"arn:aws:sns:us-east-1:{ACCT}:payments-alerts"}),
    ("dynamodb.amazonaws.com", "DeleteTable", {"tableName": "trailwarden-blue-incidents-archive"}),
    ("dynamodb.amazonaws.com", "UpdateContinuousBackups", {"tableName": "tw-blue-incidents",
                                                           "pointInTimeRecoverySpecification": {
                                                               "pointInTimeRecoveryEnabled": True}}),
    ("kms.amazonaws.com", "DisableKey", {"keyId": "99999999-12ab-34cd-56ef-1234567890ab"}),
    ("ssm.amazonaws.com", "PutParameter", {"name": "/trailwarden/blue/feature-flag", "type": "String"}),
    ("iam.amazonaws.com", "PutRolePolicy", {"roleName": "payments-task", "policyName": "p"}),
    ("cloudformation.amazonaws.com", "UpdateStack", {"stackName": "security-monitoring-old"}),
])
def test_the_same_calls_on_resources_that_are_not_trailwardens_are_not_findings(source, name, request_):
    assert deployed(call(source, name, request_)) is None, (name, request_)


def test_null_request_parameters_are_judged_without_a_crash():
    assert finding(record("events-disable-rule.json", requestParameters=None), RULE) is None


def test_kms_key_named_only_in_resources_is_found():
    rec = call("kms.amazonaws.com", "DisableKey", {"keyId": "alias/whatever"},
               resources=[{"accountId": ACCT, "type": "AWS::KMS::Key",
                           "ARN": f"arn:aws:kms:us-east-1:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"}])
    assert deployed(rec) is not None


def test_the_root_user_changing_the_pipeline_is_critical():
    rec = record("events-disable-rule.json", userIdentity=identity_of("root-cli-call.json"))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL
