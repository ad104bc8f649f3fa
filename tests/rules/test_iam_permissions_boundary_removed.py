"""iam-permissions-boundary-removed: lifting a boundary is critical on oneself, low only for an IAM manager."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import Replace, finding, identity_of, record

RULE = "iam-permissions-boundary-removed"
CI = "github-actions-aws-deployer"


def removal(name: str = "DeleteUserPermissionsBoundary", **params: str) -> dict:
    return record("attach-user-policy.json", eventName=name,
                  requestParameters=Replace(params or {"userName": CI}))


def test_the_ci_key_removing_its_own_boundary_is_critical():
    f = finding(removal(), RULE)
    assert f is not None and f.severity is Severity.CRITICAL and f.details["own_boundary"] is True
    assert f.breaks == "Terraform CI in GitHub Actions"


def test_a_role_session_removing_its_own_roles_boundary_is_critical():
    rec = record("attach-user-policy.json", eventName="DeleteRolePermissionsBoundary",
                 userIdentity=identity_of("role-session-call.json"),
                 requestParameters=Replace({"roleName": "paperclip-agent"}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_a_non_manager_removing_another_roles_boundary_is_high():
    f = finding(removal("DeleteRolePermissionsBoundary", roleName="paperclip-agent"), RULE)
    assert f is not None and f.severity is Severity.HIGH and f.details["target_principal"] == "paperclip-agents"


def test_an_iam_manager_removing_a_boundary_is_low():
    rec = record("attach-user-policy.json", eventName="DeleteRolePermissionsBoundary",
                 userIdentity=identity_of("delete-user.json"), requestParameters=Replace({"roleName": "x"}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.LOW


def test_a_refused_removal_is_at_most_medium():
    f = finding({**removal(), "errorCode": "AccessDenied"}, RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_attaching_a_policy_is_not_a_boundary_removal():
    assert finding(record("attach-user-policy.json"), RULE) is None


def test_identity_center_removing_a_permission_sets_boundary_is_low():
    doc = record("iam-put-role-permissions-boundary.json", eventName="DeleteRolePermissionsBoundary",
                 userIdentity=identity_of("sso-provision-create-role.json"),
                 requestParameters=Replace({"roleName": "AWSReservedSSO_Developer_0123456789abcdef"}))
    f = finding(doc, RULE)
    assert f is not None and f.severity is Severity.LOW and "service-linked role" in f.reason


def test_a_boundary_removed_through_cloudformation_with_the_callers_credentials_stays_high():
    doc = record("iam-put-role-permissions-boundary.json", eventName="DeleteRolePermissionsBoundary",
                 userIdentity={"invokedBy": "cloudformation.amazonaws.com"},
                 requestParameters=Replace({"roleName": "app-runtime"}))
    f = finding(doc, RULE)
    assert f is not None and f.severity is Severity.HIGH
