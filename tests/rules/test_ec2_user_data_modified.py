"""ec2-user-data-modified: a stopped instance's user data replaced (code that runs as root at next start)."""

from __future__ import annotations

import json

from chalicelib.findings import Severity

from .conftest import Replace, finding, identity_of, model_from, record, replay_twice

RULE = "ec2-user-data-modified"
FIXTURE = "ec2-modify-instance-attribute-user-data.json"
OPERATOR = """
    version: 1
    accounts: [{id: "630287363158", name: management}]
    principals:
      - {id: deploy, kind: ci, auth: access-key, iam_user: github-actions-aws-deployer, operates_instances: true}
"""
INSTANCE_TYPE = Replace({"instanceId": "i-0dd6c7b0e18f0e35f", "instanceType": {"value": "t3.large"}})


def test_a_stolen_ci_key_replacing_user_data_is_high_though_the_value_is_redacted():
    f = finding(record(FIXTURE), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert f.target_arn == "arn:aws:ec2:us-east-1:630287363158:instance/i-0dd6c7b0e18f0e35f"
    assert "sensitiveDataRemoved" not in f.reason


def test_the_clis_attribute_form_is_judged_too():
    rec = record(FIXTURE, requestParameters=Replace({"instanceId": "i-0dd6c7b0e18f0e35f", "attribute": "userData",
                                                     "value": "<sensitiveDataRemoved>"}))
    assert finding(rec, RULE) is not None


def test_changing_another_attribute_is_not_judged():
    assert finding(record(FIXTURE, requestParameters=INSTANCE_TYPE), RULE) is None


def test_a_principal_declared_to_operate_instances_is_low():
    f = finding(record(FIXTURE), RULE, model_from(OPERATOR))
    assert f is not None and f.severity is Severity.LOW


def test_an_iam_manager_not_declared_to_operate_instances_is_medium():
    f = finding(record(FIXTURE, userIdentity=identity_of("sso-session-call.json")), RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_a_refused_change_is_medium():
    f = finding(record(FIXTURE, errorCode="Client.UnauthorizedOperation", responseElements=None), RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "attempt" in f.reason


def test_an_aws_service_acting_is_not_judged():
    assert finding(record(FIXTURE, userIdentity={"invokedBy": "autoscaling.amazonaws.com"}), RULE) is None


def test_replay_gives_the_same_output_with_and_without_the_memo(tmp_path, capsys):
    other = record(FIXTURE, requestParameters=INSTANCE_TYPE)
    with_memo, without = replay_twice([other, record(FIXTURE)] * 2, tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 2
