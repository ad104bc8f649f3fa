"""ec2-user-data-modified on SageMaker notebooks: a lifecycle configuration (a script run as root with the
notebook's execution role at every start) attached or rewritten (Stratus Red Team's
aws.execution.sagemaker-update-lifecycle-config)."""

from __future__ import annotations

import json

from chalicelib.findings import Severity

from .conftest import DROP, Replace, finding, identity_of, model_from, record, replay_twice

RULE = "ec2-user-data-modified"
FIXTURE = "sagemaker-update-notebook-instance-lifecycle-config.json"
RESIZE = Replace({"notebookInstanceName": "stratus-red-team-sagemaker-notebook", "instanceType": "ml.t3.large"})
REWRITE = {"eventName": "UpdateNotebookInstanceLifecycleConfig",
           "requestParameters": Replace({"notebookInstanceLifecycleConfigName": "team-defaults",
                                         "onStart": [{"content": "HIDDEN_DUE_TO_SECURITY_REASONS"}]})}
OPERATOR = """
    version: 1
    accounts: [{id: "630287363158", name: management}]
    principals:
      - {id: deploy, kind: ci, auth: access-key, iam_user: github-actions-aws-deployer, operates_instances: true}
"""


def test_a_leaked_key_attaching_a_lifecycle_configuration_is_high():
    f = finding(record(FIXTURE), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert f.target_arn == ("arn:aws:sagemaker:us-east-1:630287363158:notebook-instance/"
                            "stratus-red-team-sagemaker-notebook")
    assert "priv-esc-config" in f.reason


def test_rewriting_an_attached_configurations_script_is_high():
    f = finding(record(FIXTURE, **REWRITE), RULE)
    assert f is not None and f.severity is Severity.HIGH and "team-defaults" in f.reason


def test_resizing_a_notebook_is_not_judged():
    assert finding(record(FIXTURE, requestParameters=RESIZE), RULE) is None


def test_renaming_nothing_in_a_configuration_is_not_judged():
    rec = record(FIXTURE, **REWRITE)
    rec["requestParameters"]["onStart"] = None
    assert finding(rec, RULE) is None


def test_a_declared_instance_operator_is_low():
    f = finding(record(FIXTURE), RULE, model_from(OPERATOR))
    assert f is not None and f.severity is Severity.LOW


def test_an_iam_manager_not_declared_to_operate_instances_is_medium():
    f = finding(record(FIXTURE, userIdentity=identity_of("sso-session-call.json")), RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_sagemaker_acting_for_itself_is_not_judged():
    assert finding(record(FIXTURE, userIdentity={"invokedBy": "sagemaker.amazonaws.com"}), RULE) is None


def test_a_record_without_parameters_is_not_judged_and_does_not_crash():
    assert finding(record(FIXTURE, requestParameters=DROP), RULE) is None


def test_replay_gives_the_same_output_with_and_without_the_memo(tmp_path, capsys):
    resize = record(FIXTURE, requestParameters=RESIZE)
    with_memo, without = replay_twice([resize, record(FIXTURE), resize, record(FIXTURE, **REWRITE)], tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 2
