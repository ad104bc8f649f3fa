"""iam-delete-user: DeleteUser, loud for a declared principal or a non-admin actor (DESIGN §5)."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import DECLARED_ACCOUNT, finding, identity_of, record

RULE = "iam-delete-user"
JARED_ARN = (f"arn:aws:sts::{DECLARED_ACCOUNT}:assumed-role/AWSReservedSSO_AdministratorAccess_5f1c2d3e4b5a6978"
             "/jared@example.com")


def test_deleting_a_declared_principals_user_is_high_and_says_what_breaks():
    f = finding(record("delete-user.json"), RULE)
    assert f is not None
    assert f.severity is Severity.HIGH
    assert f.breaks == "Terraform CI in GitHub Actions"
    assert f.target_arn == f"arn:aws:iam::{DECLARED_ACCOUNT}:user/github-actions-aws-deployer"
    assert "github-actions" in f.reason
    assert f.details["target_principal"] == "github-actions"


def test_delete_user_finding_names_the_acting_admin():
    f = finding(record("delete-user.json"), RULE)
    assert f is not None
    assert f.principal_arn == JARED_ARN
    assert f.principal == "jared"


def test_root_deleting_a_declared_principals_user_is_high():
    f = finding(record("delete-user.json", userIdentity=identity_of("root-cli-call.json")), RULE)
    assert f is not None
    assert f.severity is Severity.HIGH
    assert f.principal_arn == f"arn:aws:iam::{DECLARED_ACCOUNT}:root"
    assert f.principal is None
    assert f.breaks == "Terraform CI in GitHub Actions"


def test_admin_deleting_an_undeclared_user_is_low():
    f = finding(record("delete-user.json", requestParameters={"userName": "old-reporting-bot"}), RULE)
    assert f is not None
    assert f.severity is Severity.LOW
    assert f.breaks is None
    assert "orphan" in f.reason


def test_non_admin_deleting_an_undeclared_user_is_high():
    rec = record("delete-user.json", requestParameters={"userName": "old-reporting-bot"},
                 userIdentity=identity_of("role-session-call.json"))
    f = finding(rec, RULE)
    assert f is not None
    assert f.severity is Severity.HIGH
    assert f.principal == "paperclip-agents"
    assert "not declared as allowed to manage IAM" in f.reason


def test_undeclared_actor_deleting_an_undeclared_user_is_high():
    rec = record("delete-user.json", requestParameters={"userName": "old-reporting-bot"},
                 userIdentity={"arn": JARED_ARN.replace("jared@", "mallory@"),
                               "principalId": "AROAZ7TW0SSOADMIN0001:mallory@example.com"})
    f = finding(rec, RULE)
    assert f is not None
    assert f.severity is Severity.HIGH
    assert f.principal is None


def test_failed_delete_of_a_declared_user_is_medium():
    rec = record("delete-user.json", errorCode="DeleteConflictException",
                 errorMessage="Cannot delete entity, must delete access keys first.")
    f = finding(rec, RULE)
    assert f is not None
    assert f.severity is Severity.MEDIUM
    assert "attempt" in f.reason


def test_creating_a_user_is_not_a_delete():
    rec = record("delete-user.json", eventName="CreateUser", requestParameters={"userName": "new-bot"})
    assert finding(rec, RULE) is None


def test_deleting_a_role_is_not_a_user_delete():
    rec = record("delete-user.json", eventName="DeleteRole", requestParameters={"roleName": "paperclip-agent"})
    assert finding(rec, RULE) is None
