"""``auth: console``: an IAM user who signs in with a password. Its console sessions are its declared
way in, its static key is not, and removing its password breaks its sign-in."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import finding, model_from, record

CONSOLE_MODEL = model_from("""
    version: 1
    accounts: [{id: "630287363158", name: management}]
    principals:
      - {id: jared, kind: human, auth: sso, sso_users: [jared@example.com], manages_iam: true}
      - id: finance-clerk
        kind: human
        auth: console
        iam_user: github-actions-aws-deployer
        breaks: "the finance clerk's console access"
""")


def test_a_console_users_console_session_is_no_auth_mismatch():
    assert finding(record("iam-user-console-session-call.json"), "identity-auth-mismatch", CONSOLE_MODEL) is None


def test_a_console_users_static_key_is_an_auth_mismatch():
    f = finding(record("iam-user-access-key-call.json"), "identity-auth-mismatch", CONSOLE_MODEL)
    assert f is not None and f.details == {"declared_auth": "console", "observed_auth": "access-key"}


def test_deleting_a_console_users_password_breaks_its_sign_in():
    f = finding(record("delete-login-profile.json"), "credential-revoked", CONSOLE_MODEL)
    assert f is not None and f.severity is Severity.HIGH
    assert f.breaks == "the finance clerk's console access"


def test_deleting_a_key_users_password_breaks_nothing_declared():
    f = finding(record("delete-login-profile.json"), "credential-revoked")
    assert f is not None and f.severity is Severity.MEDIUM
    assert f.breaks.startswith("nothing the model declares")
