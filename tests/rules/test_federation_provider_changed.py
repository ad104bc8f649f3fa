"""federation-provider-changed: SAML/OIDC providers and Roles Anywhere anchors; critical unless an IAM manager."""

from __future__ import annotations

from chalicelib.findings import Severity

from .conftest import Replace, finding, identity_of, record

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


def test_identity_center_provisioning_its_saml_provider_is_low():
    role = "arn:aws:iam::630287363158:role/aws-service-role/sso.amazonaws.com/AWSServiceRoleForSSO"
    identity = {"type": "AssumedRole", "principalId": "AROAZ7TW0SSOSLR000001:AWS-SSO",
                "arn": "arn:aws:sts::630287363158:assumed-role/AWSServiceRoleForSSO/AWS-SSO",
                "accountId": "630287363158", "accessKeyId": "ASIAZ7TW0SSOSLR00001",
                "sessionContext": {"sessionIssuer": {
                    "type": "Role", "principalId": "AROAZ7TW0SSOSLR000001", "arn": role,
                    "accountId": "630287363158", "userName": "AWSServiceRoleForSSO"}},
                "invokedBy": "sso.amazonaws.com"}
    name = "AWSSSO_4c5d6e7f8a9b0c1d_DO_NOT_DELETE"
    rec = record("create-saml-provider.json", userIdentity=Replace(identity), requestParameters={"name": name},
                 responseElements={"sAMLProviderArn": f"arn:aws:iam::630287363158:saml-provider/{name}"})
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.LOW


def test_a_role_merely_named_like_identity_centers_is_not_exempt():
    rec = record("create-saml-provider.json", userIdentity=identity_of("role-session-call.json"))
    rec["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] = (
        "arn:aws:iam::630287363158:role/sso.amazonaws.com/AWSServiceRoleForSSO")
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_a_roles_anywhere_profile_changed_to_reach_more_roles_is_critical_from_the_ci_key():
    rec = record("rolesanywhere-create-trust-anchor.json", eventName="UpdateProfile",
                 requestParameters=Replace({"profileId": "7a1c2e3d-4b5f-4a6b-9c8d-0e1f2a3b4c5d",
                                            "roleArns": ["arn:aws:iam::630287363158:role/admin"]}),
                 responseElements=Replace({"profile": {
                     "profileArn": "arn:aws:rolesanywhere:us-east-1:630287363158:profile/"
                                   "7a1c2e3d-4b5f-4a6b-9c8d-0e1f2a3b4c5d"}}))
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert f.target_arn is not None and f.target_arn.endswith(":profile/7a1c2e3d-4b5f-4a6b-9c8d-0e1f2a3b4c5d")


def test_a_certificate_revocation_list_disabled_is_a_provider_change():
    rec = record("rolesanywhere-create-trust-anchor.json", eventName="DisableCrl",
                 requestParameters=Replace({"crlId": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"}),
                 responseElements=Replace({"crl": {"enabled": False}}))
    f = finding(rec, RULE)
    assert f is not None and f.details["provider"] == "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"


def test_another_services_create_profile_is_not_a_provider_change():
    rec = record("rolesanywhere-create-trust-anchor.json", eventName="CreateProfile",
                 eventSource="transfer.amazonaws.com", requestParameters=Replace({"as2Id": "partner"}))
    assert finding(rec, RULE) is None
