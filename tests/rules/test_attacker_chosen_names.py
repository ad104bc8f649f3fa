"""Issue 10, held-out variations: a verdict must rest on what AWS sets, never on a name the caller picked.

Each case is a real-shaped record (tests/fixtures/records/) with only the attacker's choice changed:
an IAM path, a user name, an identity provider, the account of a role named like a declared one.
"""

from __future__ import annotations

from chalicelib.findings import Severity
from chalicelib.history import MemoryHistory
from chalicelib.identity.model import fold

from .conftest import (
    DECLARED_ACCOUNT,
    DROP,
    UNDECLARED_ACCOUNT,
    Replace,
    finding,
    identity_of,
    judge,
    model_from,
    record,
)

A = DECLARED_ACCOUNT
UNDECLARED = "identity-undeclared-principal"
MISMATCH = "identity-auth-mismatch"
UNEXPECTED = "sts-assume-role-unexpected"
GITHUB = "token.actions.githubusercontent.com"


def role_session(issuer_arn: str, role: str = "evil", **overrides):
    ui = {"arn": f"arn:aws:sts::{A}:assumed-role/{role}/s", "principalId": "AROAZ7TW0EVILROLE0001:s",
          "sessionContext": {"sessionIssuer": {"arn": issuer_arn, "userName": role}}}
    return record("role-session-call.json", userIdentity=ui, **overrides)


# A role the customer made under a path of its own is not a service-linked role.

def test_a_customer_role_with_aws_service_role_deeper_in_its_path_is_an_undeclared_role():
    f = finding(role_session(f"arn:aws:iam::{A}:role/ops/aws-service-role/evil"), UNDECLARED)
    assert f is not None and f.severity is Severity.MEDIUM


def test_a_service_linked_role_is_still_not_judged_as_undeclared():
    arn = f"arn:aws:iam::{A}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    assert finding(role_session(arn, "AWSServiceRoleForAutoScaling"), UNDECLARED) is None


# An untyped (old) record is a service's only when invokedBy names an AWS service.

def untyped(invoked_by: str):
    return record("create-user.json", userIdentity=Replace({"invokedBy": invoked_by, "accountId": A}))


def test_an_untyped_caller_whose_invoked_by_is_no_aws_service_is_judged_as_unknown():
    f = finding(untyped("deploy.evil.example"), UNDECLARED)
    assert f is not None
    assert "identity type 'none'" in f.reason


def test_an_untyped_caller_invoked_by_an_aws_service_is_that_service():
    assert finding(untyped("cloudformation.amazonaws.com"), UNDECLARED) is None


# Names compare as IAM compares them: ASCII without case, and nothing else.

def test_unicode_case_folding_does_not_turn_a_look_alike_into_a_declared_name():
    assert "github-action\u017f-aws-deployer".casefold() == "github-actions-aws-deployer"  # why fold() exists
    assert fold("github-action\u017f-aws-deployer") != fold("github-actions-aws-deployer")


def test_an_iam_user_named_with_a_unicode_look_alike_of_the_ci_user_is_undeclared():
    name = "github-action\u017f-aws-deployer"  # LATIN SMALL LETTER LONG S
    rec = record("iam-user-access-key-call.json",
                 userIdentity={"userName": name, "arn": f"arn:aws:iam::{A}:user/{name}"})
    f = finding(rec, UNDECLARED)
    assert f is not None and f.severity is Severity.HIGH


def test_the_ci_user_name_in_other_ascii_case_is_still_the_declared_ci_user():
    name = "GitHub-Actions-AWS-Deployer"
    rec = record("iam-user-access-key-call.json",
                 userIdentity={"userName": name, "arn": f"arn:aws:iam::{A}:user/{name}"})
    assert finding(rec, UNDECLARED) is None


def test_a_role_named_with_a_kelvin_sign_is_not_the_declared_role():
    model = model_from(f"""
        version: 1
        accounts: [{{id: "{A}", name: main}}]
        principals:
          - {{id: deployer, kind: ci, auth: role, roles: [deploy-k8s]}}
        """)
    f = finding(role_session(f"arn:aws:iam::{A}:role/deploy-\u212a8s", "deploy-\u212a8s"), UNDECLARED, model)
    assert f is not None


# An OIDC subject is only as good as the provider that issued it.

def web_identity(provider: str):
    arn = f"arn:aws:iam::{A}:oidc-provider/{provider}"
    return record("oidc-assume-role-with-web-identity.json", userIdentity={"identityProvider": arn},
                  responseElements={"provider": arn})


def test_a_declared_subject_from_a_provider_the_account_does_not_declare_is_a_mismatch():
    f = finding(web_identity("oidc.evil.example/github"), MISMATCH)
    assert f is not None and f.severity is Severity.HIGH
    assert "oidc.evil.example/github" in f.reason


def test_a_declared_subject_from_the_declared_provider_is_not_a_mismatch():
    assert finding(web_identity(GITHUB), MISMATCH) is None


def test_a_provider_named_with_a_unicode_look_alike_of_the_declared_one_is_a_mismatch():
    look_alike = GITHUB.replace("actions", "action\u017f")  # casefold() maps the long s onto "s"
    assert finding(web_identity(look_alike), MISMATCH) is not None


def test_the_declared_provider_in_other_ascii_case_is_still_declared():
    assert finding(web_identity(GITHUB.upper()), MISMATCH) is None


def test_the_provider_in_the_response_counts_when_the_identity_does_not_name_one():
    rec = web_identity("oidc.evil.example")
    rec["userIdentity"].pop("identityProvider")
    assert finding(rec, MISMATCH) is not None
    rec["responseElements"]["provider"] = f"arn:aws:iam::{A}:oidc-provider/{GITHUB}"
    assert finding(rec, MISMATCH) is None


def test_an_account_that_declares_no_providers_is_not_judged_on_the_provider():
    model = model_from(f"""
        version: 1
        accounts: [{{id: "{A}", name: main}}]
        principals:
          - {{id: infra, kind: ci, auth: oidc, roles: [github-oidc-deploy], oidc_subjects: ["repo:abt/infra:*"]}}
        """)
    assert finding(web_identity("oidc.evil.example"), MISMATCH, model) is None


# may_assume names roles of the declared accounts, not a same-named role anywhere.

def ci_assumes(account: str):
    arn = f"arn:aws:iam::{account}:role/terraform-deploy"
    session = f"arn:aws:sts::{account}:assumed-role/terraform-deploy/x"
    return record("assume-role-success.json", requestParameters={"roleArn": arn},
                  responseElements={"assumedRoleUser": {"arn": session}}, resources=DROP)


def test_the_ci_user_assuming_its_deploy_role_name_in_an_undeclared_account_is_high():
    f = finding(ci_assumes(UNDECLARED_ACCOUNT), UNEXPECTED)
    assert f is not None and f.severity is Severity.HIGH
    assert UNDECLARED_ACCOUNT in f.reason


def test_the_ci_user_assuming_its_deploy_role_in_the_declared_account_is_expected():
    assert finding(ci_assumes(A), UNEXPECTED) is None


# The user agent is the caller's to write: it never says how root authenticated.

def test_a_root_access_key_presenting_the_sign_in_user_agent_is_named_as_the_key():
    f = finding(record("root-cli-call.json", userAgent="signin.amazonaws.com"), "root-api-use")
    assert f is not None and f.severity is Severity.CRITICAL
    assert "console session" not in f.reason
    assert "access key" in f.reason


def test_a_root_console_session_is_named_from_what_aws_sets_without_the_user_agent():
    f = finding(record("root-console-session-call.json", userAgent="Mozilla/5.0", userIdentity={"invokedBy": DROP}),
                "root-api-use")
    assert f is not None
    assert "console session" in f.reason


# "A source seen before" is the thief's to warm up: only one first seen an hour or more earlier vouches.

def test_a_stolen_keys_own_quiet_call_seconds_earlier_does_not_make_its_rotation_routine():
    history = MemoryHistory()
    ua = "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 aws-sdk-go-v2/1.32.6"
    warm_up = record("iam-user-access-key-call.json", sourceIPAddress="198.51.100.7", userAgent=ua,
                     eventTime="2026-11-20T10:00:00Z")
    judge(warm_up, history=history)
    rotation = record("create-access-key.json", userIdentity=identity_of("iam-user-access-key-call.json"),
                      requestParameters={"userName": "github-actions-aws-deployer"},
                      sourceIPAddress="198.51.100.7", userAgent=ua, eventTime="2026-11-20T10:00:30Z")
    f = finding(rotation, "iam-create-access-key", history=history)
    assert f is not None and f.severity is Severity.HIGH
    assert "source IP 198.51.100.7 was first seen for 'github-actions' less than 60 minutes before" in f.reason


def test_a_source_first_seen_hours_before_still_vouches_for_a_self_rotation():
    history = MemoryHistory()
    ua = "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 aws-sdk-go-v2/1.32.6"
    usual = record("iam-user-access-key-call.json", sourceIPAddress="198.51.100.7", userAgent=ua,
                   eventTime="2026-11-20T07:00:00Z")
    judge(usual, history=history)
    rotation = record("create-access-key.json", userIdentity=identity_of("iam-user-access-key-call.json"),
                      requestParameters={"userName": "github-actions-aws-deployer"},
                      sourceIPAddress="198.51.100.7", userAgent=ua, eventTime="2026-11-20T10:00:30Z")
    f = finding(rotation, "iam-create-access-key", history=history)
    assert f is not None and f.severity is Severity.LOW
