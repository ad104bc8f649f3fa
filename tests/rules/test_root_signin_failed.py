"""root-signin-failed: a failed console sign-in attributable to root (DESIGN §5, §8)."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import DECLARED_ACCOUNT, DROP, finding, judge, record, rules_of

RULE = "root-signin-failed"
ROOT_ARN = f"arn:aws:iam::{DECLARED_ACCOUNT}:root"


def test_failed_root_signin_is_high_and_names_the_root_arn():
    f = finding(record("root-console-signin-failure.json"), RULE)
    assert f is not None
    assert f.severity is Severity.HIGH
    assert f.principal_arn == ROOT_ARN
    assert f.principal is None
    assert "Failed authentication" in f.reason
    assert "198.51.100.23" in f.reason


def test_failed_root_signin_without_arn_names_the_account_root():
    f = finding(record("root-console-signin-failure.json", userIdentity={"arn": DROP}), RULE)
    assert f is not None
    assert f.principal_arn == ROOT_ARN


def test_failed_signin_with_hidden_user_name_is_not_root():
    findings = judge(record("signin-failure-hidden-user.json"))
    assert not rules_of(findings) & {RULE, "root-signin", "root-api-use"}


def test_failed_iam_user_signin_is_not_a_root_failure():
    rec = record("iam-user-console-signin.json", responseElements={"ConsoleLogin": "Failure"},
                 errorMessage="Failed authentication")
    assert finding(rec, RULE) is None


def test_successful_root_signin_is_not_a_failure():
    assert finding(record("root-console-signin-success.json"), RULE) is None


def test_failed_root_external_idp_directory_login_counts_as_a_failed_root_signin():
    rec = record("root-console-signin-failure.json", eventName="ExternalIdPDirectoryLogin",
                 responseElements={"ConsoleLogin": DROP, "ExternalIdPDirectoryLogin": "Failure"})
    f = finding(rec, RULE)
    assert f is not None
    assert f.severity is Severity.HIGH


def test_failed_root_signins_from_one_ip_share_one_group_key():
    first = finding(record("root-console-signin-failure.json"), RULE)
    second = finding(record("root-console-signin-failure.json", eventID="6a2f3c1d-0000-4b8e-9c2d-5e6f7a8b9c0d",
                            eventTime="2026-11-20T09:57:40Z"), RULE)
    other_ip = finding(record("root-console-signin-failure.json", sourceIPAddress="192.0.2.201"), RULE)
    assert first is not None and second is not None and other_ip is not None
    assert first.group_key == second.group_key
    assert other_ip.group_key != first.group_key


def test_failed_root_signin_is_not_root_api_use():
    assert rules_of(judge(record("root-console-signin-failure.json"))) == {RULE}


def test_failed_root_signin_without_a_source_address_says_it_was_unrecorded():
    f = finding(record("root-console-signin-failure.json", sourceIPAddress=DROP), RULE)
    assert f is not None
    assert "failed from an unrecorded address (" in f.reason
    assert "None" not in f.reason


def test_failed_root_signin_with_a_source_address_names_it():
    f = finding(record("root-console-signin-failure.json"), RULE)
    assert f is not None
    assert "failed from 198.51.100.23 (" in f.reason
