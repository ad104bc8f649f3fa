"""sts-assume-role-unexpected: a successful AssumeRole* judged against may_assume and the model."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import DECLARED_ACCOUNT, UNDECLARED_ACCOUNT, Replace, finding, identity_of, record

RULE = "sts-assume-role-unexpected"
A = DECLARED_ACCOUNT


def assume(role: str, **overrides):
    return record("assume-role-success.json", requestParameters={"roleArn": f"arn:aws:iam::{A}:role/{role}"},
                  **overrides)


def test_ci_user_assuming_a_role_in_its_may_assume_is_not_a_finding():
    assert finding(assume("terraform-deploy"), RULE) is None


def test_ci_user_assuming_a_role_in_its_may_assume_in_another_case_is_not_a_finding():
    assert finding(assume("Terraform-Deploy"), RULE) is None


def test_ci_user_assuming_a_role_outside_its_may_assume_is_high():
    f = finding(assume("paperclip-agent"), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "allows it only terraform-deploy" in f.reason
    assert f.breaks == "Paperclip agents"


def test_an_undeclared_static_key_assuming_a_declared_role_is_high():
    rec = assume("terraform-deploy", userIdentity={"userName": "old-deployer",
                                                   "arn": f"arn:aws:iam::{A}:user/old-deployer"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH


def test_an_outside_account_assuming_a_role_is_high():
    rec = assume("terraform-deploy", userIdentity=Replace({"type": "AWSAccount", "principalId": "AIDAOUTSIDER0000001",
                                                           "accountId": UNDECLARED_ACCOUNT}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert f"outside account {UNDECLARED_ACCOUNT}" in f.reason


def test_an_aws_service_assuming_a_role_is_not_a_finding():
    rec = assume("paperclip-agent", userIdentity=identity_of("aws-service-caller.json"))
    assert finding(rec, RULE) is None


def test_a_refused_assumption_is_left_to_the_failure_rule():
    rec = assume("paperclip-agent", errorCode="AccessDenied", errorMessage="not authorized", responseElements=None)
    assert finding(rec, RULE) is None


def test_an_oidc_token_entering_an_undeclared_role_is_medium():
    rec = record("oidc-assume-role-with-web-identity.json",
                 requestParameters={"roleArn": f"arn:aws:iam::{A}:role/gh-actions-unlisted"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_an_oidc_token_entering_its_declared_role_is_not_a_finding():
    assert finding(record("oidc-assume-role-with-web-identity.json"), RULE) is None


def test_an_oidc_subject_outside_the_declared_globs_is_an_auth_mismatch_on_the_successful_call():
    rec = record("oidc-assume-role-with-web-identity.json",
                 userIdentity={"userName": "repo:evil/fork:ref:refs/heads/main"})
    f = finding(rec, "identity-auth-mismatch")
    assert f is not None and "matches none of repo:abt/infra:*" in f.reason
