"""ec2-metadata-weakened: an instance's metadata service (or the account default) opened to IMDSv1 again."""

from __future__ import annotations

import json

from chalicelib.findings import Severity

from .conftest import Replace, finding, identity_of, model_from, record, replay_twice

RULE = "ec2-metadata-weakened"
FIXTURE = "ec2-modify-instance-metadata-options-optional.json"
REQUIRED = Replace({"ModifyInstanceMetadataOptionsRequest": {"InstanceId": "i-0a1b2c3d4e5f67890",
                                                             "HttpTokens": "required"}})
DEFAULTS = {"eventName": "ModifyInstanceMetadataDefaults", "responseElements": None,
            "requestParameters": Replace({"ModifyInstanceMetadataDefaultsRequest": {"HttpTokens": "optional"}})}
OPERATOR = """
    version: 1
    accounts: [{id: "630287363158", name: management}]
    principals:
      - {id: deploy, kind: ci, auth: access-key, iam_user: github-actions-aws-deployer, operates_instances: true}
"""


def test_a_leaked_ci_key_reopening_imdsv1_is_medium_and_names_the_instance():
    f = finding(record(FIXTURE), RULE)
    assert f is not None and f.severity is Severity.MEDIUM
    assert f.target_arn == "arn:aws:ec2:us-east-1:630287363158:instance/i-0a1b2c3d4e5f67890"


def test_the_account_default_is_judged_too():
    f = finding(record(FIXTURE, **DEFAULTS), RULE)
    assert f is not None and "account default" in f.reason and f.target_arn is None


def test_requiring_tokens_is_not_judged():
    assert finding(record(FIXTURE, requestParameters=REQUIRED), RULE) is None


def test_an_instances_own_credentials_doing_it_are_high():
    f = finding(record(FIXTURE, userIdentity=identity_of("instance-profile-session-call.json")), RULE)
    assert f is not None and f.severity is Severity.HIGH


def test_a_declared_instance_operator_is_low():
    f = finding(record(FIXTURE), RULE, model_from(OPERATOR))
    assert f is not None and f.severity is Severity.LOW


def test_aws_acting_and_other_services_are_not_judged():
    assert finding(record(FIXTURE, userIdentity={"invokedBy": "autoscaling.amazonaws.com"}), RULE) is None
    assert finding(record(FIXTURE, eventSource="example.amazonaws.com"), RULE) is None


def test_hostile_shapes_do_not_crash():
    for bad in ("x", None, [1], {"ModifyInstanceMetadataOptionsRequest": ["optional"]},
                {"ModifyInstanceMetadataOptionsRequest": {"HttpTokens": ["optional"]}}):
        assert finding(record(FIXTURE, requestParameters=Replace(bad)), RULE) is None


def test_replay_gives_the_same_output_with_and_without_the_memo(tmp_path, capsys):
    required = record(FIXTURE, requestParameters=REQUIRED)
    with_memo, without = replay_twice([required, record(FIXTURE), required, record(FIXTURE)], tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 2
