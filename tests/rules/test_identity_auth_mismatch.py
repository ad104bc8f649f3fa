"""identity-auth-mismatch: a declared principal authenticating in an undeclared way (DESIGN §4, §5)."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import DECLARED_ACCOUNT, DROP, finding, merge, model_from, record

RULE = "identity-auth-mismatch"
A = DECLARED_ACCOUNT


def sso_with_permission_set(pset: str, user: str = "jared@example.com"):
    role = f"AWSReservedSSO_{pset}_0a1b2c3d4e5f6071"
    return record("sso-session-call.json", userIdentity={
        "arn": f"arn:aws:sts::{A}:assumed-role/{role}/{user}",
        "principalId": f"AROAZ7TW0SSOREADONLY1:{user}",
        "sessionContext": {"sessionIssuer": {
            "arn": f"arn:aws:iam::{A}:role/aws-reserved/sso.amazonaws.com/us-west-2/{role}", "userName": role}},
    })


def instance_role_session(session: str, **context):
    return record("instance-profile-session-call.json", userIdentity={
        "arn": f"arn:aws:sts::{A}:assumed-role/abt-app-instance-role/{session}",
        "principalId": f"AROAZ7TW0APPINSTANCE1:{session}",
        "sessionContext": context,
    })


def test_ci_access_key_user_signing_in_to_the_console_is_a_mismatch():
    f = finding(record("iam-user-console-signin.json"), RULE)
    assert f is not None
    assert f.severity is Severity.HIGH
    assert f.principal == "github-actions"
    assert f.principal_arn == f"arn:aws:iam::{A}:user/github-actions-aws-deployer"
    assert f.breaks == "Terraform CI in GitHub Actions"
    assert f.details == {"declared_auth": "access-key", "observed_auth": "console-password"}
    assert "via ConsoleLogin" in f.reason


def test_ci_access_key_user_calling_from_a_console_session_is_a_mismatch():
    f = finding(record("iam-user-console-session-call.json"), RULE)
    assert f is not None
    assert f.details["observed_auth"] == "console-password"


def test_console_signin_and_console_calls_of_the_ci_user_share_one_group_key():
    signin = finding(record("iam-user-console-signin.json"), RULE)
    call = finding(record("iam-user-console-session-call.json"), RULE)
    assert signin is not None and call is not None
    assert signin.group_key == call.group_key


def test_ci_access_key_user_calling_with_its_key_is_not_a_mismatch():
    assert finding(record("iam-user-access-key-call.json"), RULE) is None


def test_failed_console_signin_of_the_ci_user_is_not_a_mismatch():
    rec = record("iam-user-console-signin.json", responseElements={"ConsoleLogin": "Failure"},
                 errorMessage="Failed authentication")
    assert finding(rec, RULE) is None


def test_human_with_a_permission_set_outside_the_declared_sets_is_a_mismatch():
    f = finding(sso_with_permission_set("ReadOnlyAccess"), RULE)
    assert f is not None
    assert f.severity is Severity.HIGH
    assert f.principal == "jared"
    assert "'ReadOnlyAccess'" in f.reason
    assert "AdministratorAccess" in f.reason


def test_human_with_a_declared_permission_set_is_not_a_mismatch():
    assert finding(record("sso-session-call.json"), RULE) is None


def test_human_without_declared_permission_sets_may_use_any_set():
    model = model_from("""
        version: 1
        accounts: [{id: "630287363158", name: management}]
        principals:
          - {id: jared, kind: human, auth: sso, sso_users: [jared@example.com]}
    """)
    assert finding(sso_with_permission_set("ReadOnlyAccess"), RULE, model) is None


def test_permission_set_with_underscores_is_read_whole():
    model = model_from("""
        version: 1
        accounts: [{id: "630287363158", name: management}]
        principals:
          - {id: jared, kind: human, auth: sso, sso_users: [jared@example.com], permission_sets: [Dev_Admin]}
    """)
    assert finding(sso_with_permission_set("Dev_Admin"), RULE, model) is None


def test_human_using_a_static_key_is_a_mismatch():
    model = model_from("""
        version: 1
        accounts: [{id: "630287363158", name: management}]
        principals:
          - {id: dana, kind: human, auth: sso, sso_users: [dana@example.com], iam_user: dana.legacy}
    """)
    rec = record("iam-user-access-key-call.json",
                 userIdentity={"userName": "dana.legacy", "arn": f"arn:aws:iam::{A}:user/dana.legacy"})
    f = finding(rec, RULE, model)
    assert f is not None
    assert f.principal == "dana"
    assert f.details == {"declared_auth": "sso", "observed_auth": "access-key"}


def test_oidc_subject_outside_the_declared_subjects_is_a_mismatch():
    subject = "repo:someone-else/fork:ref:refs/heads/main"
    rec = record("oidc-assume-role-with-web-identity.json", userIdentity={"userName": subject},
                 responseElements={"subjectFromWebIdentityToken": subject})
    f = finding(rec, RULE)
    assert f is not None
    assert f.severity is Severity.HIGH
    assert f.principal == "infra-deploy"
    assert f.principal_arn == f"arn:aws:iam::{A}:role/github-oidc-deploy"
    assert subject in f.reason


def test_oidc_subject_matching_a_declared_glob_is_not_a_mismatch():
    assert finding(record("oidc-assume-role-with-web-identity.json"), RULE) is None


def test_later_calls_of_the_oidc_role_session_are_not_a_mismatch():
    rec = record("role-session-call.json", userIdentity={
        "arn": f"arn:aws:sts::{A}:assumed-role/github-oidc-deploy/GitHubActions",
        "principalId": "AROAZ7TW0OIDCDEPLOY01:GitHubActions",
        "sessionContext": {"sessionIssuer": {"arn": f"arn:aws:iam::{A}:role/github-oidc-deploy",
                                             "userName": "github-oidc-deploy"}},
    })
    assert finding(rec, RULE) is None


def test_instance_profile_role_used_outside_ec2_is_a_mismatch():
    f = finding(instance_role_session("laptop-session", ec2RoleDelivery=DROP), RULE)
    assert f is not None
    assert f.principal == "app-servers"
    assert f.details == {"declared_auth": "instance-profile", "observed_auth": "role"}
    assert f.breaks == "the application servers"


def test_instance_profile_session_is_not_a_mismatch():
    assert finding(record("instance-profile-session-call.json"), RULE) is None


def test_instance_session_of_an_old_record_without_role_delivery_is_not_a_mismatch():
    rec = merge(instance_role_session("i-0a1b2c3d4e5f60718", ec2RoleDelivery=DROP), {"eventVersion": "1.05"})
    assert finding(rec, RULE) is None


def test_session_named_like_an_instance_without_role_delivery_in_a_current_record_is_a_mismatch():
    f = finding(instance_role_session("i-0a1b2c3d4e5f60718", ec2RoleDelivery=DROP), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "named like an instance but has no ec2RoleDelivery" in f.reason


def test_session_named_like_an_instance_in_a_record_without_a_version_is_reported_as_thin_evidence():
    rec = merge(instance_role_session("i-0a1b2c3d4e5f60718", ec2RoleDelivery=DROP), {"eventVersion": DROP})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM
    assert "thin evidence" in f.reason


def test_role_principal_session_is_not_a_mismatch():
    assert finding(record("role-session-call.json"), RULE) is None


def test_role_principal_reached_through_an_instance_profile_is_a_mismatch():
    rec = record("instance-profile-session-call.json", userIdentity={
        "arn": f"arn:aws:sts::{A}:assumed-role/paperclip-agent/i-0a1b2c3d4e5f60718",
        "sessionContext": {"sessionIssuer": {"arn": f"arn:aws:iam::{A}:role/paperclip-agent",
                                             "userName": "paperclip-agent"}},
    })
    f = finding(rec, RULE)
    assert f is not None
    assert f.details == {"declared_auth": "role", "observed_auth": "instance-profile"}


def test_undeclared_principal_is_never_an_auth_mismatch():
    rec = record("iam-user-console-signin.json",
                 userIdentity={"userName": "backup-script", "arn": f"arn:aws:iam::{A}:user/backup-script"})
    assert finding(rec, RULE) is None


def test_root_is_never_an_auth_mismatch():
    assert finding(record("root-console-session-call.json"), RULE) is None


def test_aws_service_is_never_an_auth_mismatch():
    assert finding(record("aws-service-caller.json"), RULE) is None
