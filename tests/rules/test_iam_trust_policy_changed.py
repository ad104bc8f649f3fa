"""iam-trust-policy-changed: the trust policy is decoded and parsed, and judged against the model."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from chalicelib.findings import Severity

from .conftest import finding, identity_of, model_from, record

RULE = "iam-trust-policy-changed"
HOME = "630287363158"


def trust(principal: object, encode: bool = True, **extra: object) -> str:
    text = json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}]})
    return quote(text, safe="") if encode else text


def update(document: str, **overrides: object) -> dict:
    return record("update-assume-role-policy.json", requestParameters={"policyDocument": document}, **overrides)


def test_trusting_an_outside_account_is_critical_and_names_it():
    f = finding(record("update-assume-role-policy.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "193672423079" in f.reason
    assert f.details["outside_model"] == ["AWS:arn:aws:iam::193672423079:root"]
    assert f.breaks == "Terraform CI in GitHub Actions"


def test_trusting_anyone_is_critical():
    f = finding(update(trust("*")), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "anyone" in f.reason


def test_trusting_an_undeclared_identity_provider_is_critical():
    f = finding(update(trust({"Federated": f"arn:aws:iam::{HOME}:saml-provider/partner-idp"})), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


GITHUB = {"Federated": f"arn:aws:iam::{HOME}:oidc-provider/token.actions.githubusercontent.com"}


def github(*subjects: str, operator: str = "StringLike") -> str:
    """A GitHub OIDC trust whose token ``sub`` must match ``subjects`` (none: no condition on it)."""
    condition = {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}
    if subjects:
        condition[operator] = {"token.actions.githubusercontent.com:sub": list(subjects)}
    return trust(GITHUB, Action="sts:AssumeRoleWithWebIdentity", Condition=condition)


def test_trusting_the_declared_oidc_provider_by_an_iam_manager_is_low():
    doc = github("repo:abt/infra:ref:refs/heads/main")
    f = finding(update(doc, userIdentity=identity_of("delete-user.json")), RULE)
    assert f is not None and f.severity is Severity.LOW


def test_trusting_the_home_account_by_a_non_manager_is_medium():
    f = finding(update(trust({"AWS": [HOME, f"arn:aws:iam::{HOME}:role/paperclip-agent"]}, encode=False)), RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_an_unreadable_trust_policy_is_reported_as_unreadable():
    truncated = trust({"AWS": HOME})[:60]
    f = finding(update(truncated), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "could not be read" in f.reason


def test_a_substring_in_a_condition_is_not_a_trusted_account():
    doc = trust({"AWS": HOME}, Condition={"StringEquals": {"aws:PrincipalTag/note": "arn:aws:iam::193672423079:root"}})
    f = finding(update(doc, userIdentity=identity_of("delete-user.json")), RULE)
    assert f is not None and f.severity is Severity.LOW


def test_a_new_service_role_is_quiet():
    assert finding(record("create-role.json"), RULE) is None


def test_a_new_role_trusting_an_outside_account_is_critical():
    rec = record("create-role.json", requestParameters={"assumeRolePolicyDocument": trust({"AWS": "193672423079"})})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_a_condition_on_an_outside_trust_is_named_but_does_not_lower_it():
    doc = trust({"AWS": "193672423079"}, Condition={"StringEquals": {"sts:ExternalId": "x-7f3a"}})
    f = finding(update(doc), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "A Condition applies" in f.reason


def test_a_github_trust_without_a_condition_on_sub_lets_in_any_repository_and_is_critical():
    f = finding(update(github(), userIdentity=identity_of("delete-user.json")), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert f.details["github_subjects_outside_model"] == ["any repository (no condition on the token's sub)"]


def test_a_github_trust_open_to_every_organization_is_critical():
    f = finding(update(github("repo:*")), RULE)
    assert f is not None and f.severity is Severity.CRITICAL and "repo:*" in f.reason


def test_a_github_trust_wider_than_the_declared_subjects_is_critical():
    f = finding(update(github("repo:abt/*")), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_a_sub_condition_that_only_applies_if_present_pins_nothing():
    f = finding(update(github("repo:abt/infra:*", operator="StringLikeIfExists")), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_a_github_trust_within_the_declared_subjects_is_not_raised():
    f = finding(update(github("repo:abt/infra:ref:refs/heads/main", operator="StringEquals")), RULE)
    assert f is not None and f.severity is Severity.MEDIUM
    assert f.details["github_subjects_outside_model"] == []


def test_without_declared_subjects_only_an_open_organization_is_raised():
    model = model_from(f"""
        version: 1
        accounts: [{{id: "{HOME}", name: management, federated_providers: [token.actions.githubusercontent.com]}}]
        principals: []
    """)
    pinned = finding(update(github("repo:acme/app:*")), RULE, model)
    assert pinned is not None and pinned.severity is Severity.MEDIUM
    opened = finding(update(github("repo:*/app:*")), RULE, model)
    assert opened is not None and opened.severity is Severity.CRITICAL


def test_identity_center_provisioning_a_permission_set_role_for_its_own_saml_provider_is_low():
    f = finding(record("sso-provision-create-role.json"), RULE)
    assert f is not None and f.severity is Severity.LOW
    assert "Identity Center provisioning" in f.reason


def test_identity_center_rewriting_a_reserved_roles_trust_to_its_own_provider_is_low():
    doc = record("sso-provision-create-role.json")["requestParameters"]["assumeRolePolicyDocument"]
    f = finding(update(doc, userIdentity=identity_of("sso-provision-create-role.json")), RULE)
    assert f is not None and f.severity is Severity.LOW


def test_the_same_identity_center_trust_written_by_a_person_is_still_critical():
    f = finding(record("sso-provision-create-role.json", userIdentity=identity_of("create-role.json")), RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_identity_center_trusting_anything_beyond_its_own_provider_is_still_critical():
    rec = record("sso-provision-create-role.json")
    doc = json.loads(rec["requestParameters"]["assumeRolePolicyDocument"])
    doc["Statement"][0]["Principal"] = {"AWS": "arn:aws:iam::193672423079:root"}
    rec = record("sso-provision-create-role.json", requestParameters={"assumeRolePolicyDocument": json.dumps(doc)})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL


@pytest.mark.parametrize(("subject", "severity"), [
    ("repository_owner_id:1342004:repository_id:620342169:environment:prod", Severity.MEDIUM),
    ("repository_owner:acme:context:ref:refs/heads/main", Severity.MEDIUM),
    ("repository_owner_id:*:repository_id:*", Severity.CRITICAL),
    ("job_workflow_ref:acme/shared/.github/workflows/deploy.yml@refs/heads/main", Severity.CRITICAL),
    ("*:repository_owner_id:1342004", Severity.CRITICAL),
    ("environment:*:repository_owner_id:1342004", Severity.CRITICAL),
])
def test_a_customized_sub_claim_is_open_only_when_it_pins_no_owner_or_repository(subject, severity):
    model = model_from(f"""
        version: 1
        accounts: [{{id: "{HOME}", name: management, federated_providers: [token.actions.githubusercontent.com]}}]
        principals: []
    """)
    f = finding(update(github(subject)), RULE, model)
    assert f is not None and f.severity is severity


def test_an_enterprise_issuer_under_githubs_is_judged_on_its_own_sub_key():
    issuer = "token.actions.githubusercontent.com/acme-enterprise"
    principal = {"Federated": f"arn:aws:iam::{HOME}:oidc-provider/{issuer}"}
    open_doc = trust(principal, Action="sts:AssumeRoleWithWebIdentity",
                     Condition={"StringEquals": {f"{issuer}:aud": "sts.amazonaws.com"}})
    f = finding(update(open_doc), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert f.details["github_subjects_outside_model"] == ["any repository (no condition on the token's sub)"]


def test_an_enterprise_issuer_pinned_to_a_declared_subject_is_not_raised():
    issuer = "token.actions.githubusercontent.com/acme-enterprise"
    principal = {"Federated": f"arn:aws:iam::{HOME}:oidc-provider/{issuer}"}
    doc = trust(principal, Action="sts:AssumeRoleWithWebIdentity",
                Condition={"StringEquals": {f"{issuer}:sub": "repo:abt/infra:ref:refs/heads/main"}})
    f = finding(update(doc), RULE)
    assert f is not None and f.details["github_subjects_outside_model"] == []
