"""identity-undeclared-principal: a write by an IAM user or role the model does not declare (DESIGN §5)."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import DECLARED_ACCOUNT, DROP, finding, merge, model_from, record

RULE = "identity-undeclared-principal"
A = DECLARED_ACCOUNT


def undeclared_user(**overrides):
    arn = f"arn:aws:iam::{A}:user/backup-script"
    return merge(record("iam-user-access-key-call.json", userIdentity={"arn": arn, "userName": "backup-script"}),
                 overrides)


def undeclared_role(role: str = "reporting-lambda", session: str = "reporting-lambda", path: str = "", **overrides):
    ui = {
        "arn": f"arn:aws:sts::{A}:assumed-role/{role}/{session}",
        "principalId": f"AROAZ7TW0REPORTING001:{session}",
        "sessionContext": {"sessionIssuer": {"arn": f"arn:aws:iam::{A}:role/{path}{role}", "userName": role}},
    }
    return merge(record("role-session-call.json", userIdentity=ui), overrides)


def test_undeclared_iam_user_write_is_high():
    f = finding(undeclared_user(), RULE)
    assert f is not None
    assert f.severity is Severity.HIGH
    assert f.principal_arn == f"arn:aws:iam::{A}:user/backup-script"
    assert f.principal is None
    assert "unlisted static credential" in f.reason


def test_undeclared_role_write_is_medium():
    f = finding(undeclared_role(), RULE)
    assert f is not None
    assert f.severity is Severity.MEDIUM
    assert f.principal_arn == f"arn:aws:sts::{A}:assumed-role/reporting-lambda/reporting-lambda"
    assert f.details["role_arn"] == f"arn:aws:iam::{A}:role/reporting-lambda"


def test_undeclared_sso_user_write_is_medium_and_names_the_user():
    arn = f"arn:aws:sts::{A}:assumed-role/AWSReservedSSO_AdministratorAccess_5f1c2d3e4b5a6978/mallory@example.com"
    rec = record("sso-session-call.json", userIdentity={"arn": arn})
    f = finding(rec, RULE)
    assert f is not None
    assert f.severity is Severity.MEDIUM
    assert "mallory@example.com" in f.reason
    assert f.principal_arn == arn


def test_sessions_of_one_undeclared_role_share_one_group_key():
    first = finding(undeclared_role(session="run-1"), RULE)
    second = finding(undeclared_role(session="run-2"), RULE)
    assert first is not None and second is not None
    assert first.group_key == second.group_key


def test_failed_write_by_an_undeclared_user_is_still_reported():
    f = finding(undeclared_user(errorCode="UnauthorizedOperation", responseElements=None), RULE)
    assert f is not None
    assert f.severity is Severity.HIGH


def test_read_by_an_undeclared_static_key_is_a_high_finding():
    f = finding(undeclared_user(eventName="DescribeSecurityGroups", readOnly=True), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "an unlisted static credential" in f.reason


def test_read_by_an_undeclared_console_user_outside_sensitive_services_is_not_a_finding():
    rec = undeclared_user(eventName="DescribeSecurityGroups", readOnly=True, sessionCredentialFromConsole="true")
    assert finding(rec, RULE) is None


def test_read_without_read_only_flag_is_recognised_by_its_name():
    rec = undeclared_role(eventName="DescribeSecurityGroups", readOnly=DROP, eventSource="ec2.amazonaws.com")
    assert finding(rec, RULE) is None


def test_read_of_a_sensitive_service_by_an_undeclared_role_is_a_finding():
    rec = undeclared_role(eventName="ListSecrets", readOnly=True, eventSource="secretsmanager.amazonaws.com")
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM
    assert "read ListSecrets" in f.reason


def test_read_by_an_undeclared_role_is_not_a_finding():
    assert finding(undeclared_role(eventName="GetQueueAttributes", readOnly=True), RULE) is None


def test_write_by_a_declared_iam_user_is_not_a_finding():
    assert finding(record("iam-user-access-key-call.json"), RULE) is None


def test_declared_iam_user_matches_case_insensitively():
    rec = record("iam-user-access-key-call.json", userIdentity={"userName": "GitHub-Actions-AWS-Deployer"})
    assert finding(rec, RULE) is None


def test_write_by_a_declared_role_is_not_a_finding():
    assert finding(record("role-session-call.json"), RULE) is None


def test_write_by_a_declared_sso_user_is_not_a_finding():
    assert finding(record("sso-session-call.json"), RULE) is None


def test_write_by_a_declared_instance_profile_is_not_a_finding():
    assert finding(record("instance-profile-session-call.json"), RULE) is None


def test_write_by_a_service_linked_role_is_not_a_finding():
    rec = undeclared_role("AWSServiceRoleForAutoScaling", "AutoScaling", "aws-service-role/autoscaling.amazonaws.com/",
                          eventName="RunInstances")
    assert finding(rec, RULE) is None


def test_write_by_an_aws_service_is_not_a_finding():
    rec = record("aws-service-caller.json", eventName="CreateNetworkInterface", eventSource="ec2.amazonaws.com",
                 readOnly=False)
    assert finding(rec, RULE) is None


def test_aws_service_event_is_not_a_finding():
    assert finding(record("aws-service-event.json"), RULE) is None


def test_root_write_is_not_an_undeclared_principal():
    assert finding(record("root-cli-call.json"), RULE) is None


def test_console_signin_of_an_undeclared_user_is_left_to_the_signin_rules():
    rec = record("iam-user-console-signin.json",
                 userIdentity={"userName": "backup-script", "arn": f"arn:aws:iam::{A}:user/backup-script"})
    assert finding(rec, RULE) is None


def test_principal_declared_only_in_another_account_is_undeclared_here():
    model = model_from("""
        version: 1
        accounts:
          - {id: "630287363158", name: management}
          - {id: "402918375610", name: sandbox}
        principals:
          - id: github-actions
            kind: ci
            auth: access-key
            iam_user: github-actions-aws-deployer
            accounts: ["402918375610"]
    """)
    f = finding(record("iam-user-access-key-call.json"), RULE, model)
    assert f is not None
    assert f.severity is Severity.HIGH


def test_undeclared_role_writing_through_the_console_as_aws_internal_is_reported():
    rec = undeclared_role(eventSource="lambda.amazonaws.com", eventName="CreateEventSourceMapping20150331",
                          userIdentity={"invokedBy": "AWS Internal"}, sourceIPAddress="AWS Internal",
                          userAgent="AWS Internal")
    f = finding(rec, RULE)
    assert f is not None
    assert f.severity is Severity.MEDIUM
