"""signin-without-mfa: a successful IAM-user console sign-in whose MFAUsed is not Yes."""

from __future__ import annotations

import pytest

from chalicelib.findings import Severity

from .conftest import DROP, finding, identity_of, record

RULE = "signin-without-mfa"


def test_an_iam_user_password_signin_without_mfa_is_high():
    f = finding(record("iam-user-console-signin.json"), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert f.details["mfa_used"] == "No"
    assert "principal 'github-actions'" in f.reason


def test_an_undeclared_iam_user_signin_without_mfa_fires_too():
    rec = record("iam-user-console-signin.json", userIdentity={"userName": "intern",
                                                               "arn": "arn:aws:iam::630287363158:user/intern"})
    f = finding(rec, RULE)
    assert f is not None and "does not declare" in f.reason


@pytest.mark.parametrize("mfa", ["Yes", "YES"])
def test_a_signin_with_mfa_is_quiet(mfa):
    assert finding(record("iam-user-console-signin.json", additionalEventData={"MFAUsed": mfa}), RULE) is None


def test_a_signin_whose_record_omits_mfa_used_is_reported_as_absent():
    f = finding(record("iam-user-console-signin.json", additionalEventData=DROP), RULE)
    assert f is not None and f.details["mfa_used"] == "absent"


def test_a_failed_signin_is_not_a_signin():
    rec = record("iam-user-console-signin.json", responseElements={"ConsoleLogin": "Failure"},
                 errorMessage="Failed authentication")
    assert finding(rec, RULE) is None


def test_an_sso_signin_never_fires_whatever_mfa_says():
    assert finding(record("sso-console-signin.json"), RULE) is None


def test_a_root_signin_without_mfa_is_root_signin_not_this():
    assert finding(record("iam-user-console-signin.json", userIdentity=identity_of("root-console-signin-success.json"),
                          additionalEventData={"MFAUsed": "No"}), RULE) is None


def test_a_role_named_like_sso_outside_the_reserved_path_is_not_an_iam_user_either():
    # Only IAM users sign in with a password; an AssumedRole console login is federation.
    assert finding(record("sso-console-signin.json", userIdentity={"sessionContext": {"sessionIssuer": {
        "arn": "arn:aws:iam::630287363158:role/AWSReservedSSO_AdministratorAccess_5f1c2d3e4b5a6978"}}}), RULE) is None
