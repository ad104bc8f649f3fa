"""sso-assignment-changed: Identity Center assignments and permission sets against the declared sets."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import finding, identity_of, record

RULE = "sso-assignment-changed"
UNDECLARED_SET = "arn:aws:sso:::permissionSet/ssoins-7223a4c6b1f8e5d2/ps-9c8d7e6f5a4b3c2d"


def test_an_iam_manager_assigning_a_declared_set_is_low():
    f = finding(record("sso-create-account-assignment.json"), RULE)
    assert f is not None and f.severity is Severity.LOW
    assert f.details["declared_permission_set"] == "AdministratorAccess"


def test_assigning_a_set_the_model_declares_for_nobody_is_high():
    f = finding(record("sso-create-account-assignment.json", requestParameters={"permissionSetArn": UNDECLARED_SET}),
                RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "for nobody" in f.reason


def test_a_non_manager_assigning_a_declared_set_is_medium():
    rec = record("sso-create-account-assignment.json", userIdentity=identity_of("role-session-call.json"))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_attaching_administrator_access_to_a_set_is_high():
    rec = record("sso-attach-managed-policy.json",
                 requestParameters={"managedPolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH


def test_an_admin_inline_policy_on_a_set_is_high():
    rec = record("sso-attach-managed-policy.json", eventName="PutInlinePolicyToPermissionSet", requestParameters={
        "managedPolicyArn": None, "inlinePolicy": '{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}'})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH


def test_a_read_only_policy_on_an_undeclared_set_is_medium_not_high():
    f = finding(record("sso-attach-managed-policy.json"), RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_creating_a_set_the_model_declares_by_an_iam_manager_is_low():
    rec = record("sso-attach-managed-policy.json", eventName="CreatePermissionSet",
                 requestParameters={"name": "AdministratorAccess", "permissionSetArn": None})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.LOW


def test_iam_calls_are_not_sso_changes():
    assert finding(record("create-user.json"), RULE) is None
