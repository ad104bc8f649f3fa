"""Shells and SSH keys on machines that run as a role, through other services than SSM and EC2 Instance
Connect: ECS ExecuteCommand, SageMaker presigned notebook and Studio URLs (ssm-instance-access), a Glue dev
endpoint's new SSH key (ec2-instance-connect-key-sent)."""

from __future__ import annotations

import json

import pytest

from chalicelib.findings import Severity

from .conftest import Replace, finding, identity_of, model_from, record, replay_twice

SHELL, KEY = "ssm-instance-access", "ec2-instance-connect-key-sent"
ECS = "ecs-execute-command.json"
NOTEBOOK = "sagemaker-create-presigned-notebook-instance-url.json"
GLUE = "glue-update-dev-endpoint-public-key.json"
OPERATOR = """
    version: 1
    accounts: [{id: "630287363158", name: management}]
    principals:
      - {id: deploy, kind: ci, auth: access-key, iam_user: github-actions-aws-deployer, operates_instances: true}
"""
STUDIO = {"eventName": "CreatePresignedDomainUrl",
          "requestParameters": Replace({"domainId": "d-abc123", "userProfileName": "data-science"})}


@pytest.mark.parametrize(("fixture", "rule", "words"), [
    (ECS, SHELL, "shell in a container"), (NOTEBOOK, SHELL, "Jupyter"), (GLUE, KEY, "Glue development endpoint")])
def test_a_leaked_ci_key_getting_onto_the_machine_is_high(fixture, rule, words):
    f = finding(record(fixture), rule)
    assert f is not None and f.severity is Severity.HIGH and words in f.reason


def test_the_ecs_task_is_the_target():
    f = finding(record(ECS), SHELL)
    assert f.target_arn == "arn:aws:ecs:us-east-1:630287363158:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    assert "container 'app'" in f.reason


def test_a_studio_url_is_judged_like_a_notebook_url():
    f = finding(record(NOTEBOOK, **STUDIO), SHELL)
    assert f is not None and "data-science" in f.reason


@pytest.mark.parametrize(("fixture", "rule"), [(ECS, SHELL), (NOTEBOOK, SHELL), (GLUE, KEY)])
def test_a_declared_instance_operator_is_low(fixture, rule):
    f = finding(record(fixture), rule, model_from(OPERATOR))
    assert f is not None and f.severity is Severity.LOW


# (A notebook URL by that manager, a person, is low: test_a_declared_person_opening_a_notebook_is_low.)
@pytest.mark.parametrize(("fixture", "rule"), [(ECS, SHELL), (GLUE, KEY)])
def test_an_iam_manager_not_declared_to_operate_instances_is_medium(fixture, rule):
    f = finding(record(fixture, userIdentity=identity_of("sso-session-call.json")), rule)
    assert f is not None and f.severity is Severity.MEDIUM


@pytest.mark.parametrize(("fixture", "rule"), [(ECS, SHELL), (NOTEBOOK, SHELL), (GLUE, KEY)])
def test_a_declared_operators_refusal_is_quiet(fixture, rule):
    rec = record(fixture, errorCode="AccessDeniedException", responseElements=None)
    assert finding(rec, rule, model_from(OPERATOR)) is None


def test_a_glue_update_adding_no_key_is_not_judged():
    rec = record(GLUE, requestParameters=Replace({"endpointName": "etl-dev", "deletePublicKeys": ["ssh-rsa AAAA"]}))
    assert finding(rec, KEY) is None


def test_added_keys_are_judged_like_a_new_key():
    rec = record(GLUE, requestParameters=Replace({"endpointName": "etl-dev", "addPublicKeys": ["ssh-rsa AAAA"]}))
    assert finding(rec, KEY) is not None


def test_other_services_names_are_not_judged():
    assert finding(record(ECS, eventSource="example.amazonaws.com"), SHELL) is None
    assert finding(record(GLUE, eventSource="example.amazonaws.com"), KEY) is None


def test_aws_acting_is_not_judged():
    assert finding(record(ECS, userIdentity={"invokedBy": "ecs.amazonaws.com"}), SHELL) is None


def test_hostile_shapes_do_not_crash():
    for bad in ("x", None, [1], {"addPublicKeys": "ssh-rsa", "publicKey": ["x"], "task": {"a": 1}}):
        finding(record(ECS, requestParameters=Replace(bad)), SHELL)
        finding(record(GLUE, requestParameters=Replace(bad)), KEY)


def test_replay_gives_the_same_output_with_and_without_the_memo(tmp_path, capsys):
    no_key = record(GLUE, requestParameters=Replace({"endpointName": "etl-dev", "customLibraries": {}}))
    refused = record(ECS, errorCode="AccessDeniedException", responseElements=None)
    records = [no_key, record(GLUE), no_key, refused, record(ECS), refused, record(NOTEBOOK)]
    with_memo, without = replay_twice(records, tmp_path, capsys)
    assert with_memo == without
    rules = [json.loads(line)["rule"] for line in with_memo.splitlines()]
    assert rules.count(KEY) == 1 and rules.count(SHELL) == 4


CONSOLE_STUDIO = "sagemaker-create-presigned-domain-url-console.json"
DATA_SCIENTIST = """
    version: 1
    accounts: [{id: "630287363158", name: management}]
    principals:
      - {id: ana, kind: human, auth: sso, sso_users: [ana@example.com], permission_sets: [DataScientist]}
"""


def test_a_declared_person_opening_studio_from_the_console_is_low():
    # The console's "Open Studio" button calls CreatePresignedDomainUrl: how SageMaker is used every day.
    f = finding(record(CONSOLE_STUDIO), SHELL, model_from(DATA_SCIENTIST))
    assert f is not None and f.severity is Severity.LOW and "ana-datascience" in f.reason


def test_a_declared_person_opening_a_notebook_is_low():
    rec = record(NOTEBOOK, userIdentity=identity_of(CONSOLE_STUDIO))
    f = finding(rec, SHELL, model_from(DATA_SCIENTIST))
    assert f is not None and f.severity is Severity.LOW


def test_an_undeclared_caller_opening_studio_is_still_high():
    f = finding(record(CONSOLE_STUDIO), SHELL)
    assert f is not None and f.severity is Severity.HIGH


def test_a_declared_person_opening_a_shell_in_a_container_is_still_high():
    rec = record(ECS, userIdentity=identity_of(CONSOLE_STUDIO))
    f = finding(rec, SHELL, model_from(DATA_SCIENTIST))
    assert f is not None and f.severity is Severity.HIGH
