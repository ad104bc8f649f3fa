"""iam-login-profile-created: a console password judged by how the model says the user signs in."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import finding, identity_of, model_from, record

RULE = "iam-login-profile-created"
CONSOLE_MODEL = model_from("""
    version: 1
    accounts: [{id: "630287363158", name: management}]
    principals:
      - {id: jared, kind: human, auth: sso, sso_users: [jared@example.com], manages_iam: true}
      - {id: finance-clerk, kind: human, auth: console, iam_user: clerk}
      - {id: github-actions, kind: ci, auth: access-key, iam_user: github-actions-aws-deployer}
""")


def test_a_password_on_the_ci_user_is_critical():
    f = finding(record("create-login-profile.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "backdoor" in f.reason
    assert f.breaks == "Terraform CI in GitHub Actions"


def test_a_password_on_an_undeclared_user_is_high():
    f = finding(record("create-login-profile.json", requestParameters={"userName": "temp-admin"}), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "does not declare" in f.reason


def test_a_password_on_an_iam_user_named_like_a_declared_sso_human_is_high_and_says_why():
    f = finding(record("create-login-profile.json", requestParameters={"userName": "jared"}), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "declares on SSO" in f.reason


def test_an_iam_manager_resetting_a_console_users_password_is_low():
    rec = record("create-login-profile.json", eventName="UpdateLoginProfile",
                 userIdentity=identity_of("delete-user.json"),
                 requestParameters={"userName": "clerk", "passwordResetRequired": True})
    f = finding(rec, RULE, CONSOLE_MODEL)
    assert f is not None and f.severity is Severity.LOW
    assert f.details["password_reset_required"] is True


def test_a_non_manager_setting_a_console_users_password_is_medium():
    rec = record("create-login-profile.json", requestParameters={"userName": "clerk"})
    f = finding(rec, RULE, CONSOLE_MODEL)
    assert f is not None and f.severity is Severity.MEDIUM


def test_a_refused_attempt_is_at_most_medium():
    rec = record("create-login-profile.json", errorCode="AccessDenied", errorMessage="not authorized",
                 responseElements=None)
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM
    assert "attempt" in f.reason


def test_other_iam_calls_are_not_login_profiles():
    assert finding(record("delete-login-profile.json"), RULE) is None
