"""iam-user-created: a new long-lived identity; low only for a declared user re-created by an IAM manager."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import finding, identity_of, record

RULE = "iam-user-created"


def test_an_undeclared_user_is_high():
    f = finding(record("create-user.json"), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "svc-backup" in f.reason


def test_the_declared_ci_user_recreated_by_an_iam_manager_is_low():
    rec = record("create-user.json", userIdentity=identity_of("delete-user.json"),
                 requestParameters={"userName": "github-actions-aws-deployer"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.LOW
    assert f.breaks == "Terraform CI in GitHub Actions"


def test_the_declared_ci_user_recreated_by_a_non_manager_is_high():
    rec = record("create-user.json", requestParameters={"userName": "github-actions-aws-deployer"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH


def test_other_iam_calls_are_not_user_creations():
    assert finding(record("delete-user.json"), RULE) is None
