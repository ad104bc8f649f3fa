"""ssm-instance-access: commands or a shell on instances through Systems Manager, judged by who acts."""

from __future__ import annotations

import json

from chalicelib.findings import Severity

from .conftest import DROP, Replace, finding, identity_of, model_from, record, replay_twice

RULE = "ssm-instance-access"
SEND, SESSION = "ssm-send-command.json", "ssm-start-session.json"
OPERATOR = """
    version: 1
    accounts: [{id: "630287363158", name: management}]
    principals:
      - {id: deploy, kind: ci, auth: access-key, iam_user: github-actions-aws-deployer, operates_instances: true}
"""
SLR = "arn:aws:iam::630287363158:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM"
SERVICE_LINKED = Replace({
    "type": "AssumedRole", "principalId": "AROAZ7TW0SSMSERVICE01:patch", "accountId": "630287363158",
    "arn": "arn:aws:sts::630287363158:assumed-role/AWSServiceRoleForAmazonSSM/patch",
    "sessionContext": {"sessionIssuer": {"type": "Role", "arn": SLR, "accountId": "630287363158",
                                         "userName": "AWSServiceRoleForAmazonSSM"}}})


def test_a_stolen_ci_key_running_a_shell_script_on_three_instances_is_high():
    f = finding(record(SEND), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert f.details["instance_ids"] == ["i-00456a8d163f546ff", "i-0cfe23b1a7ceba6f8", "i-09d40ccfc0ae91cfa"]
    assert f.details["document_name"] == "AWS-RunShellScript" and "not declared to operate instances" in f.reason


def test_a_session_on_one_instance_names_it_as_the_target():
    f = finding(record(SESSION), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert f.target_arn == "arn:aws:ec2:us-east-1:630287363158:instance/i-0ea1d1296c1de3aa1"


def test_a_principal_declared_to_operate_instances_is_low():
    f = finding(record(SESSION), RULE, model_from(OPERATOR))
    assert f is not None and f.severity is Severity.LOW


def test_an_iam_manager_not_declared_to_operate_instances_is_medium():
    f = finding(record(SESSION, userIdentity=identity_of("sso-session-call.json")), RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "operates_instances" in f.reason


def test_an_instances_own_role_commanding_other_instances_is_lateral_movement():
    f = finding(record(SEND, userIdentity=identity_of("instance-profile-session-call.json")), RULE)
    assert f is not None and f.severity is Severity.HIGH and "lateral movement" in f.reason


def test_tag_targets_are_named_when_no_instance_is():
    rec = record(SEND, requestParameters={"instanceIds": DROP,
                                          "targets": [{"key": "tag:Role", "values": ["web"]},
                                                      {"key": "InstanceIds", "values": ["i-0aaa1111bbbb2222c"]}]})
    f = finding(rec, RULE)
    assert f is not None and f.details["target_selectors"] == ["tag:Role=web"]
    assert f.details["instance_ids"] == ["i-0aaa1111bbbb2222c"]


def test_a_refused_command_is_medium_and_grouped_per_caller():
    one = finding(record(SEND, errorCode="AccessDenied", responseElements=None), RULE)
    other = finding(record(SESSION, errorCode="AccessDenied"), RULE)
    assert one is not None and other is not None
    assert one.severity is Severity.MEDIUM and one.group_key == other.group_key


def test_systems_manager_acting_for_a_maintenance_window_is_not_judged():
    assert finding(record(SEND, userIdentity=SERVICE_LINKED), RULE) is None
    assert finding(record(SEND, userIdentity={"invokedBy": "ssm.amazonaws.com"}), RULE) is None


def test_athenas_start_session_is_another_service_and_not_judged():
    rec = record(SESSION, eventSource="athena.amazonaws.com", requestParameters=Replace({"workGroup": "nb"}))
    assert finding(rec, RULE) is None


def test_malformed_targets_are_judged_without_a_crash():
    rec = record(SEND, requestParameters=Replace({"instanceIds": "i-0abc", "targets": [None, {"key": 3}]}))
    f = finding(rec, RULE)
    assert f is not None and f.details["instance_ids"] == [] and "an unnamed target" in f.reason


def test_replay_gives_the_same_output_with_and_without_the_memo(tmp_path, capsys):
    athena = record(SESSION, eventSource="athena.amazonaws.com")
    with_memo, without = replay_twice([athena, record(SESSION), record(SEND)] * 2, tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 4


def test_a_declared_operators_refused_session_is_quiet():
    assert finding(record(SESSION, errorCode="AccessDenied"), RULE, model_from(OPERATOR)) is None


def test_root_running_commands_is_high_and_never_the_declared_operator():
    f = finding(record(SEND, userIdentity=identity_of("root-cli-call.json")), RULE, model_from(OPERATOR))
    assert f is not None and f.severity is Severity.HIGH and "root is never" in f.reason
