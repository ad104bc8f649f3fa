"""sts-assume-role-failed: a refused AssumeRole*, role ARN from errorMessage when needed (DESIGN §5, §8)."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import DECLARED_ACCOUNT, UNDECLARED_ACCOUNT, Replace, finding, identity_of, model_from, record

RULE = "sts-assume-role-failed"
CI_ARN = f"arn:aws:iam::{DECLARED_ACCOUNT}:user/github-actions-aws-deployer"
TF_ROLE = f"arn:aws:iam::{DECLARED_ACCOUNT}:role/terraform-deploy"
ORG_ROLE = f"arn:aws:iam::{DECLARED_ACCOUNT}:role/OrganizationAccountAccessRole"


def denied(role_arn: str, caller_arn: str = CI_ARN, **overrides):
    message = f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
    return record("assume-role-denied.json", errorMessage=message, **overrides)


def test_failed_assume_role_takes_the_role_arn_from_the_error_message():
    rec = record("assume-role-denied.json")
    assert rec["requestParameters"] is None
    f = finding(rec, RULE)
    assert f is not None
    assert f.target_arn == TF_ROLE
    assert f.details["role"] == "terraform-deploy"
    assert f.principal_arn == CI_ARN


def test_declared_caller_refused_a_role_in_its_may_assume_is_medium():
    f = finding(record("assume-role-denied.json"), RULE)
    assert f is not None
    assert f.severity is Severity.MEDIUM
    assert f.principal == "github-actions"
    assert f.breaks == "Terraform CI in GitHub Actions"


def test_declared_caller_refused_a_role_outside_its_may_assume_is_high():
    f = finding(denied(ORG_ROLE), RULE)
    assert f is not None
    assert f.severity is Severity.HIGH
    assert f.target_arn == ORG_ROLE
    assert "allows it only terraform-deploy" in f.reason


def test_undeclared_caller_refused_a_role_is_high():
    stranger = f"arn:aws:iam::{DECLARED_ACCOUNT}:user/christophe"
    rec = denied(TF_ROLE, stranger, userIdentity={"arn": stranger, "userName": "christophe"})
    f = finding(rec, RULE)
    assert f is not None
    assert f.severity is Severity.HIGH
    assert f.principal is None
    assert f.principal_arn == stranger
    assert "not declared" in f.reason


def test_declared_caller_without_may_assume_refused_a_role_is_medium():
    rec = denied(TF_ROLE, userIdentity=identity_of("role-session-call.json"))
    f = finding(rec, RULE)
    assert f is not None
    assert f.principal == "paperclip-agents"
    assert f.severity is Severity.MEDIUM


def test_role_outside_may_assume_is_compared_by_name_whatever_the_path():
    f = finding(denied(f"arn:aws:iam::{DECLARED_ACCOUNT}:role/ci/terraform-deploy"), RULE)
    assert f is not None
    assert f.details["role"] == "terraform-deploy"
    assert f.severity is Severity.MEDIUM


def test_failed_assume_role_keeps_the_request_role_arn_when_present():
    rec = record("assume-role-denied.json", errorCode="ExpiredToken",
                 errorMessage="The security token included in the request is expired",
                 requestParameters={"roleArn": ORG_ROLE, "roleSessionName": "tf", "durationSeconds": 900})
    f = finding(rec, RULE)
    assert f is not None
    assert f.target_arn == ORG_ROLE
    assert f.details["error_code"] == "ExpiredToken"


def test_failed_assume_role_that_names_no_role_says_so_and_stays_high():
    rec = record("assume-role-denied.json", errorMessage="Access denied")
    f = finding(rec, RULE)
    assert f is not None
    assert f.target_arn is None
    assert "does not name the role" in f.reason
    assert f.severity is Severity.HIGH  # an unknown role cannot be shown to be in may_assume


def test_refused_web_identity_assume_role_is_a_finding():
    rec = record("oidc-assume-role-with-web-identity.json", errorCode="AccessDenied",
                 errorMessage="Not authorized to perform sts:AssumeRoleWithWebIdentity", responseElements=None)
    f = finding(rec, RULE)
    assert f is not None
    assert f.target_arn == f"arn:aws:iam::{DECLARED_ACCOUNT}:role/github-oidc-deploy"
    assert f.principal_arn == f"arn:aws:iam::{DECLARED_ACCOUNT}:role/github-oidc-deploy"


def test_refusals_of_one_caller_and_role_share_one_group_key():
    first = finding(record("assume-role-denied.json"), RULE)
    again = finding(record("assume-role-denied.json", eventID="5e0c4e55-7f1d-4a8e-8c2a-1f0e9d8c7b6a"), RULE)
    other = finding(denied(ORG_ROLE), RULE)
    assert first is not None and again is not None and other is not None
    assert first.group_key == again.group_key
    assert other.group_key != first.group_key


def test_successful_assume_role_is_not_a_finding():
    assert finding(record("assume-role-success.json"), RULE) is None


def test_successful_assume_role_of_a_role_outside_may_assume_is_not_a_finding_either():
    rec = record("assume-role-success.json", requestParameters={"roleArn": ORG_ROLE})
    assert finding(rec, RULE) is None


def test_access_denied_on_another_api_is_not_an_assume_role_failure():
    rec = record("assume-role-denied.json", eventSource="ec2.amazonaws.com", eventName="GetPasswordData",
                 errorCode="Client.UnauthorizedOperation")
    assert finding(rec, RULE) is None


def test_refused_aws_service_caller_is_medium_not_undeclared():
    rec = record("aws-service-caller.json", errorCode="AccessDenied", responseElements=None,
                 errorMessage="Access denied")
    f = finding(rec, RULE)
    assert f is not None
    assert f.severity is Severity.MEDIUM


def test_refused_role_listed_in_may_assume_of_an_inline_model_is_medium():
    model = model_from("""
        version: 1
        accounts: [{id: "630287363158", name: management}]
        principals:
          - id: github-actions
            kind: ci
            auth: access-key
            iam_user: github-actions-aws-deployer
            may_assume: [terraform-deploy, terraform-plan]
    """)
    f = finding(denied(f"arn:aws:iam::{DECLARED_ACCOUNT}:role/terraform-plan"), RULE, model)
    assert f is not None
    assert f.severity is Severity.MEDIUM
    assert f.breaks is None  # this model gives the CI user no 'breaks'


def test_role_arn_is_cut_from_a_message_that_explains_the_denial():
    message = (f"User: {CI_ARN} is not authorized to perform: sts:AssumeRole on resource: {ORG_ROLE} "
               "with an explicit deny in a service control policy")
    f = finding(record("assume-role-denied.json", errorMessage=message), RULE)
    assert f is not None
    assert f.target_arn == ORG_ROLE


def test_an_unknown_outside_account_probing_a_role_is_high():
    rec = record("assume-role-denied.json", userIdentity=Replace({
        "type": "AWSAccount", "principalId": "AIDAOUTSIDEPROBE0001", "accountId": UNDECLARED_ACCOUNT}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert f"outside account {UNDECLARED_ACCOUNT}" in f.reason


def test_a_refusal_on_the_ci_users_own_role_spelled_in_another_case_is_not_outside_may_assume():
    f = finding(denied(f"arn:aws:iam::{DECLARED_ACCOUNT}:role/Terraform-Deploy"), RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_a_cross_account_refusal_names_the_target_account():
    other = f"arn:aws:iam::{UNDECLARED_ACCOUNT}:role/deploy"
    f = finding(denied(other), RULE)
    assert f is not None
    assert f"role 'deploy' in account {UNDECLARED_ACCOUNT}" in f.reason


def test_a_same_account_refusal_names_no_account():
    f = finding(record("assume-role-denied.json"), RULE)
    assert f is not None
    assert " in account " not in f.reason
