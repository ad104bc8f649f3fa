"""Published records redact account ids ("xxx"): a verdict that rests on a reserved IAM path, which
AWS sets and no customer can create roles under, must not change when the account field is redacted."""

from __future__ import annotations

from chalicelib.rules.federation_provider_changed import IDENTITY_CENTER_ROLE
from chalicelib.rules.identity_undeclared_principal import is_service_role

from .conftest import finding, judge, record, rules_of

REDACTED_SLR = {
    "accountId": "xxx", "arn": "arn:aws:sts::xxx:assumed-role/AWSServiceRoleForEC2Fleet/fleet",
    "sessionContext": {"sessionIssuer": {
        "accountId": "xxx", "userName": "AWSServiceRoleForEC2Fleet",
        "arn": "arn:aws:iam::xxx:role/aws-service-role/ec2fleet.amazonaws.com/AWSServiceRoleForEC2Fleet"}},
}


def test_a_service_linked_role_with_a_redacted_account_is_a_service_linked_role():
    assert is_service_role("arn:aws:iam::xxx:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS")


def test_a_customer_role_with_a_redacted_account_is_not_a_service_linked_role():
    assert not is_service_role("arn:aws:iam::xxx:role/ops/AWSServiceRoleForECS")


def test_identity_centers_own_role_is_recognised_with_a_redacted_account():
    assert IDENTITY_CENTER_ROLE.match(
        "arn:aws:iam::xxx:role/aws-service-role/sso.amazonaws.com/AWSServiceRoleForSSO")


def test_a_service_linked_role_reading_a_password_with_a_redacted_account_is_quiet():
    doc = record("ec2-get-password-data.json", userIdentity=REDACTED_SLR)
    assert finding(doc, "ec2-password-data-read") is None


def test_a_customer_role_reading_a_password_with_a_redacted_account_is_judged():
    doc = record("ec2-get-password-data.json", userIdentity={
        **REDACTED_SLR, "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::xxx:role/ops/fleet"}}})
    assert "ec2-password-data-read" in rules_of(judge(doc))
