"""root-signin: a successful console sign-in as the account root user (DESIGN §5)."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import DECLARED_ACCOUNT, DROP, UNDECLARED_ACCOUNT, finding, identity_of, judge, record, rules_of

RULE = "root-signin"
ROOT_ARN = f"arn:aws:iam::{DECLARED_ACCOUNT}:root"


def test_root_console_signin_is_critical_and_names_the_root_arn():
    f = finding(record("root-console-signin-success.json"), RULE)
    assert f is not None
    assert f.severity is Severity.CRITICAL
    assert f.principal_arn == ROOT_ARN
    assert f.principal is None
    assert f.breaks is None
    assert (f.account, f.source_ip, f.event_name) == (DECLARED_ACCOUNT, "198.51.100.23", "ConsoleLogin")


def test_root_signin_reports_that_mfa_was_used():
    f = finding(record("root-console-signin-success.json"), RULE)
    assert f is not None
    assert f.details["mfa_used"] == "Yes"
    assert "MFAUsed: Yes" in f.reason


def test_root_signin_without_mfa_reports_mfa_not_used():
    f = finding(record("root-console-signin-success.json", additionalEventData={"MFAUsed": "No"}), RULE)
    assert f is not None
    assert f.details["mfa_used"] == "No"
    assert "MFAUsed: No" in f.reason


def test_root_signin_without_mfa_field_says_mfa_is_unknown():
    f = finding(record("root-console-signin-success.json", additionalEventData=DROP), RULE)
    assert f is not None
    assert f.details["mfa_used"] == "unknown"


def test_root_signin_quotes_the_models_root_policy_for_the_account():
    f = finding(record("root-console-signin-success.json"), RULE)
    assert f is not None
    assert "'never' in management" in f.reason


def test_root_signin_without_arn_names_the_account_root():
    f = finding(record("root-console-signin-success.json", userIdentity={"arn": DROP}), RULE)
    assert f is not None
    assert f.principal_arn == ROOT_ARN


def test_root_signin_in_an_undeclared_account_still_fires():
    rec = record("root-console-signin-success.json", recipientAccountId=UNDECLARED_ACCOUNT,
                 userIdentity={"accountId": UNDECLARED_ACCOUNT, "arn": f"arn:aws:iam::{UNDECLARED_ACCOUNT}:root"})
    f = finding(rec, RULE)
    assert f is not None
    assert f.severity is Severity.CRITICAL
    assert f.principal_arn == f"arn:aws:iam::{UNDECLARED_ACCOUNT}:root"


def test_root_signin_arriving_in_an_eventbridge_envelope_fires():
    f = finding(record("eventbridge-signin.json"), RULE)
    assert f is not None
    assert f.account == DECLARED_ACCOUNT  # the detail has no recipientAccountId
    assert f.region == "us-east-1"  # detail says "global"; the envelope's region wins
    assert f.details["mfa_used"] == "No"


def test_failed_root_signin_is_not_a_root_signin():
    assert finding(record("root-console-signin-failure.json"), RULE) is None


def test_iam_user_console_signin_is_not_a_root_signin():
    assert finding(record("iam-user-console-signin.json"), RULE) is None


def test_root_api_call_is_not_a_root_signin():
    assert finding(record("root-console-session-call.json"), RULE) is None


def test_sso_console_signin_is_not_a_root_signin():
    rec = record("root-console-signin-success.json", userIdentity=identity_of("sso-session-call.json"))
    assert finding(rec, RULE) is None


def test_root_signin_is_not_also_reported_as_root_api_use():
    assert rules_of(judge(record("root-console-signin-success.json"))) == {RULE}


def test_root_signin_without_a_source_address_says_it_was_unrecorded():
    f = finding(record("root-console-signin-success.json", sourceIPAddress=None), RULE)
    assert f is not None
    assert "signed in from an unrecorded address (MFAUsed" in f.reason
    assert "None" not in f.reason


def test_root_signin_with_a_source_address_names_it():
    f = finding(record("root-console-signin-success.json"), RULE)
    assert f is not None
    assert "signed in from 198.51.100.23 (MFAUsed" in f.reason
