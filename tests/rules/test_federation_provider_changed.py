"""federation-provider-changed: SAML/OIDC providers and Roles Anywhere anchors; critical unless an IAM manager."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import finding, identity_of, record

RULE = "federation-provider-changed"


def test_a_new_saml_provider_from_the_ci_key_is_critical():
    f = finding(record("create-saml-provider.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert f.target_arn == "arn:aws:iam::630287363158:saml-provider/partner-idp"


def test_a_roles_anywhere_trust_anchor_from_the_ci_key_is_critical():
    f = finding(record("rolesanywhere-create-trust-anchor.json"), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "Roles Anywhere" in f.reason


def test_an_iam_manager_adding_the_declared_oidc_provider_is_medium():
    f = finding(record("create-oidc-provider.json"), RULE)
    assert f is not None and f.severity is Severity.MEDIUM
    assert f.details["declared_provider"] is True


def test_an_iam_manager_deleting_a_saml_provider_is_medium():
    rec = record("create-saml-provider.json", eventName="DeleteSAMLProvider",
                 userIdentity=identity_of("delete-user.json"),
                 requestParameters={"sAMLProviderArn": "arn:aws:iam::630287363158:saml-provider/old"},
                 responseElements=None)
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.MEDIUM
    assert f.details["provider"] == "old"


def test_other_iam_calls_are_not_provider_changes():
    assert finding(record("create-user.json"), RULE) is None
