"""root-api-use: any call made with root credentials, console sessions and reads included (DESIGN §5)."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import DECLARED_ACCOUNT, DROP, UNDECLARED_ACCOUNT, finding, identity_of, record

RULE = "root-api-use"
ROOT_ARN = f"arn:aws:iam::{DECLARED_ACCOUNT}:root"
ROOT_CLI_KEY = "AKIAZ7TW0ROOTCLI0K3Y"


def test_root_cli_call_with_an_access_key_is_critical_root_use():
    f = finding(record("root-cli-call.json"), RULE)
    assert f is not None
    assert f.severity is Severity.CRITICAL
    assert f.principal_arn == ROOT_ARN
    assert f.principal is None
    assert f.event_name == "CreateBucket"
    assert "s3:CreateBucket" in f.reason


def test_root_console_session_call_counts_as_root_use():
    f = finding(record("root-console-session-call.json"), RULE)
    assert f is not None
    assert f.severity is Severity.CRITICAL
    assert "console session" in f.reason
    assert f.details["invoked_by"] == "signin.amazonaws.com"


def test_read_only_root_call_counts_as_root_use():
    f = finding(record("root-cli-call.json", eventSource="s3.amazonaws.com", eventName="ListBuckets",
                       readOnly=True, requestParameters=None), RULE)
    assert f is not None
    assert f.severity is Severity.CRITICAL
    assert f.details["read_only"] is True


def test_failed_root_call_still_counts_as_root_use():
    f = finding(record("root-cli-call.json", errorCode="AccessDenied", errorMessage="Access Denied"), RULE)
    assert f is not None
    assert "It failed (AccessDenied)" in f.reason


def test_root_call_made_by_a_service_on_roots_behalf_counts_as_root_use():
    rec = record("root-console-session-call.json", userIdentity={"invokedBy": "glue.amazonaws.com"},
                 sourceIPAddress="glue.amazonaws.com", userAgent="glue.amazonaws.com")
    f = finding(rec, RULE)
    assert f is not None
    assert "glue.amazonaws.com acting for root" in f.reason


def test_aws_service_event_is_not_root_use():
    rec = record("aws-service-event.json", userIdentity=identity_of("root-cli-call.json"))
    assert finding(rec, RULE) is None


def test_root_console_signin_is_not_root_api_use():
    assert finding(record("root-console-signin-success.json"), RULE) is None


def test_failed_root_signin_step_is_not_root_api_use():
    rec = record("root-console-signin-failure.json", eventName="CheckMfa",
                 responseElements={"ConsoleLogin": DROP, "CheckMfa": "Failure"})
    assert finding(rec, RULE) is None


def test_iam_user_call_is_not_root_use():
    assert finding(record("iam-user-access-key-call.json"), RULE) is None


def test_sso_session_call_is_not_root_use():
    assert finding(record("sso-session-call.json"), RULE) is None


def test_calls_of_one_root_cli_session_share_one_group_key():
    first = finding(record("root-cli-call.json"), RULE)
    second = finding(record("root-cli-call.json", eventName="GetCallerIdentity", eventSource="sts.amazonaws.com",
                            readOnly=True, eventID="0b6f7d2a-61c4-4e43-9a2f-7a1c7f2f9b10"), RULE)
    assert first is not None and second is not None
    assert first.group_key == second.group_key
    assert first.event_id != second.event_id


def test_calls_of_one_root_console_session_share_one_group_key():
    first = finding(record("root-console-session-call.json"), RULE)
    second = finding(record("root-console-session-call.json", eventName="GetTags", eventSource="ec2.amazonaws.com",
                            eventID="8e3f5a7b-0d4c-4a4f-b7c1-2c3d4e5f6a7b"), RULE)
    assert first is not None and second is not None
    assert first.group_key == second.group_key


def test_different_root_sessions_get_different_group_keys():
    cli = finding(record("root-cli-call.json"), RULE)
    console = finding(record("root-console-session-call.json"), RULE)
    assert cli is not None and console is not None
    assert cli.group_key != console.group_key


def test_root_session_without_access_key_is_grouped_by_its_creation_time():
    def call(event_id: str):
        return record("root-console-session-call.json", userIdentity={"accessKeyId": DROP}, eventID=event_id)

    first = finding(call("1d2c3b4a-0000-4000-8000-000000000001"), RULE)
    second = finding(call("1d2c3b4a-0000-4000-8000-000000000002"), RULE)
    assert first is not None and second is not None
    assert first.group_key == second.group_key == f"root-session:{DECLARED_ACCOUNT}:created:2026-11-20T09:58:41Z"


def test_root_group_key_and_finding_never_show_the_root_access_key():
    f = finding(record("root-cli-call.json"), RULE)
    assert f is not None
    assert ROOT_CLI_KEY not in str(f.to_dict())
    assert "…0K3Y" in f.reason


def test_root_call_without_arn_names_the_account_root():
    f = finding(record("root-cli-call.json", userIdentity={"arn": DROP}), RULE)
    assert f is not None
    assert f.principal_arn == ROOT_ARN


def test_root_call_in_an_undeclared_account_still_fires():
    rec = record("root-cli-call.json", recipientAccountId=UNDECLARED_ACCOUNT,
                 userIdentity={"accountId": UNDECLARED_ACCOUNT, "arn": DROP})
    f = finding(rec, RULE)
    assert f is not None
    assert f.principal_arn == f"arn:aws:iam::{UNDECLARED_ACCOUNT}:root"


def test_root_call_arriving_in_an_eventbridge_envelope_fires():
    f = finding(record("eventbridge-api-call.json"), RULE)
    assert f is not None
    assert f.event_name == "StopInstances"
    assert f.account == DECLARED_ACCOUNT


def test_root_call_made_through_the_console_as_aws_internal_counts_as_root_use():
    rec = record("root-console-session-call.json", userIdentity={"invokedBy": "AWS Internal"},
                 sourceIPAddress="AWS Internal", userAgent="AWS Internal")
    f = finding(rec, RULE)
    assert f is not None
    assert f.severity is Severity.CRITICAL


def test_root_call_without_a_source_address_says_it_was_unrecorded():
    f = finding(record("root-cli-call.json", sourceIPAddress=DROP), RULE)
    assert f is not None
    assert f.reason.endswith("from an unrecorded address.")
    assert "None" not in f.reason


def test_root_call_with_a_source_address_names_it():
    f = finding(record("root-cli-call.json"), RULE)
    assert f is not None
    assert f.reason.endswith("from 203.0.113.77.")
