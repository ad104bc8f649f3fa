"""ec2-instance-connect-key-sent: an SSH key pushed to an instance or its serial console."""

from __future__ import annotations

import json

from chalicelib.findings import Severity

from .conftest import finding, identity_of, model_from, record, replay_twice

RULE = "ec2-instance-connect-key-sent"
SSH, SERIAL = "ec2-instance-connect-send-ssh-public-key.json", "ec2-serial-console-send-ssh-public-key.json"
OPERATOR = """
    version: 1
    accounts: [{id: "630287363158", name: management}]
    principals:
      - {id: oncall, kind: human, auth: sso, sso_users: [jared@example.com], operates_instances: true}
"""


def test_a_stolen_ci_key_pushing_an_ssh_key_is_high():
    f = finding(record(SSH), RULE)
    assert f is not None and f.severity is Severity.HIGH and "OS user 'ec2-user'" in f.reason
    assert f.target_arn == "arn:aws:ec2:us-east-1:630287363158:instance/i-0fdb357cb7e99ad97"


def test_an_undeclared_identity_center_user_on_the_serial_console_is_high():
    f = finding(record(SERIAL), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "serial console" in f.reason and f.details["serial_console"] is True


def test_a_human_declared_to_operate_instances_is_low():
    f = finding(record(SSH, userIdentity=identity_of("sso-session-call.json")), RULE, model_from(OPERATOR))
    assert f is not None and f.severity is Severity.LOW


def test_an_iam_manager_not_declared_to_operate_instances_is_medium():
    f = finding(record(SSH, userIdentity=identity_of("sso-session-call.json")), RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_refused_pushes_are_medium_and_grouped_per_caller():
    one = finding(record(SSH, errorCode="AccessDenied"), RULE)
    other = finding(record(SSH, errorCode="AccessDenied", requestParameters={"instanceId": "i-0bbb"}), RULE)
    assert one is not None and other is not None
    assert one.severity is Severity.MEDIUM and one.group_key == other.group_key


def test_an_aws_service_acting_is_not_judged():
    assert finding(record(SSH, userIdentity={"invokedBy": "ec2.amazonaws.com"}), RULE) is None


def test_a_missing_instance_id_is_judged_without_a_crash():
    f = finding(record(SSH, requestParameters=None), RULE)
    assert f is not None and f.target_arn is None and "instance ?" in f.reason


def test_replay_gives_the_same_output_with_and_without_the_memo(tmp_path, capsys):
    service = record(SSH, userIdentity={"invokedBy": "ec2.amazonaws.com"})
    with_memo, without = replay_twice([service, record(SSH), record(SERIAL)] * 2, tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 4


def test_a_declared_operators_refused_push_is_quiet():
    rec = record(SSH, userIdentity=identity_of("sso-session-call.json"), errorCode="AccessDenied")
    assert finding(rec, RULE, model_from(OPERATOR)) is None


def test_the_memo_keeps_an_operators_refusal_apart_from_its_success(tmp_path, capsys, monkeypatch):
    path = tmp_path / "model.yaml"
    path.write_text(OPERATOR.replace("\n    ", "\n"))
    monkeypatch.setenv("TRAILWARDEN_MODEL", str(path))
    ident = identity_of("sso-session-call.json")
    refused, done = record(SSH, userIdentity=ident, errorCode="AccessDenied"), record(SSH, userIdentity=ident)
    with_memo, without = replay_twice([refused, done] * 2, tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["severity"] for line in with_memo.splitlines()
            if json.loads(line)["rule"] == RULE] == ["low", "low"]
