"""credential-quarantined: AWS's quarantine policy on a user means its key leaked."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import finding, record

RULE = "credential-quarantined"


def test_quarantine_of_the_ci_user_is_critical_with_what_breaks_and_where_the_key_lives():
    f = finding(record("quarantine-attach-user-policy.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert f.breaks == "Terraform CI in GitHub Actions"
    assert f.details["key_lives_in"] == "GitHub Actions secrets"
    assert "GitHub Actions secrets" in f.reason


def test_the_older_inline_exposed_credential_policy_counts_too():
    rec = record("quarantine-attach-user-policy.json", eventName="PutUserPolicy",
                 requestParameters={"policyArn": None, "policyName": "AWSExposedCredentialPolicy_DO_NOT_REMOVE",
                                    "policyDocument": "%7B%7D"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_a_customer_policy_named_like_the_quarantine_policy_is_not_aws_quarantine():
    rec = record("quarantine-attach-user-policy.json",
                 requestParameters={"policyArn": "arn:aws:iam::630287363158:policy/AWSCompromisedKeyQuarantineV2"})
    assert finding(rec, RULE) is None


def test_an_ordinary_policy_attach_is_not_a_quarantine():
    assert finding(record("attach-user-policy.json"), RULE) is None
