"""eks-pod-identity-role-unexpected: EKS Pod Identity's own AssumeRole into a role the model declares."""

from __future__ import annotations

import pytest

from chalicelib.findings import Severity

from .conftest import Replace, finding, record, replay_twice

RULE = "eks-pod-identity-role-unexpected"
FIXTURE = "sts-assume-role-eks-pod-identity.json"


def role(name: str, account: str = "630287363158") -> dict[str, str]:
    return {"roleArn": f"arn:aws:iam::{account}:role/{name}"}


def test_a_pod_given_the_role_the_ci_user_may_assume_is_high():
    f = finding(record(FIXTURE), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "github-actions" in f.reason and "web/frontend" in f.reason and "platform" in f.reason
    assert f.breaks == "Terraform CI in GitHub Actions"


def test_the_role_name_matches_the_model_whatever_its_case():
    f = finding(record(FIXTURE, requestParameters=role("Terraform-Deploy")), RULE)
    assert f is not None and f.severity is Severity.HIGH


def test_a_pod_given_the_instance_role_is_high():
    f = finding(record(FIXTURE, requestParameters=role("abt-app-instance-role")), RULE)
    assert f is not None and f.severity is Severity.HIGH and "instance-profile" in f.reason


def test_a_role_declared_without_a_way_in_is_stored_low():
    f = finding(record(FIXTURE, requestParameters=role("paperclip-agent")), RULE)
    assert f is not None and f.severity is Severity.LOW


def test_an_undeclared_pod_role_is_left_to_its_sessions_calls():
    assert finding(record(FIXTURE, requestParameters=role("eks-pod-s3-read-access-role")), RULE) is None


def test_the_declared_name_in_an_account_outside_the_model_is_not_the_declared_role():
    assert finding(record(FIXTURE, requestParameters=role("terraform-deploy", "402918375610")), RULE) is None


def test_another_services_assume_role_is_not_pod_identity():
    assert finding(record(FIXTURE, userIdentity={"invokedBy": "lambda.amazonaws.com"}), RULE) is None


def test_a_refused_assumption_gave_nothing():
    assert finding(record(FIXTURE, errorCode="AccessDenied", responseElements=None), RULE) is None


@pytest.mark.parametrize("tags", [None, "x", [None, 3, {"key": 5}], {"key": "kubernetes-namespace"}])
def test_hostile_tag_shapes_still_judge_without_a_crash(tags):
    f = finding(record(FIXTURE, requestParameters={"tags": Replace(tags)}), RULE)
    assert f is not None and f.severity is Severity.HIGH and "?/?" in f.reason


@pytest.mark.parametrize("params", [None, "x", {"roleArn": 7}, {"roleArn": "terraform-deploy"}, {}])
def test_hostile_request_shapes_are_quiet_without_a_crash(params):
    assert finding(record(FIXTURE, requestParameters=Replace(params)), RULE) is None


def test_replay_with_and_without_the_memo_agree(tmp_path, capsys):
    records = [record(FIXTURE, eventID="a", requestParameters=role("eks-pod-s3-read-access-role")),
               record(FIXTURE, eventID="b"),
               record(FIXTURE, eventID="c", userIdentity={"invokedBy": "lambda.amazonaws.com"}),
               record(FIXTURE, eventID="d", requestParameters=role("paperclip-agent")),
               record(FIXTURE, eventID="e")]
    with_memo, without = replay_twice(records, tmp_path, capsys)
    assert with_memo == without and RULE in with_memo
