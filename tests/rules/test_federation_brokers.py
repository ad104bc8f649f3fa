"""federation-provider-changed on the brokers beside IAM's providers: Cognito identity pools (credentials for
a login, or for no login at all), Identity Center trusted token issuers and Identity Center's identity source."""

from __future__ import annotations

import json

import pytest

from chalicelib.findings import Severity

from .conftest import Replace, finding, identity_of, record, replay_twice

RULE = "federation-provider-changed"
ROLES = "cognito-set-identity-pool-roles-unauthenticated.json"
ISSUER = "sso-create-trusted-token-issuer.json"
POOL = "us-east-1:5e3b1c2a-7d4f-4e6a-9b8c-0d1e2f3a4b5c"
AUTH_ONLY = Replace({"identityPoolId": POOL, "roles": {"authenticated": "arn:aws:iam::630287363158:role/app"}})
# Identity Center's identity source (sso-directory), by name, as the console's calls name it.
IDENTITY_SOURCE = ["EnableExternalIdPConfigurationForDirectory", "DisableExternalIdPConfigurationForDirectory",
                   "UpdateExternalIdPConfigurationForDirectory", "ImportExternalIdPCertificate",
                   "AssociateDirectory", "DisassociateDirectory"]


def test_an_agent_putting_a_role_in_a_pools_unauthenticated_slot_is_critical():
    f = finding(record(ROLES), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "unauthenticated callers" in f.reason and "Cognito identity pools" in f.reason
    assert f.target_arn == f"arn:aws:cognito-identity:us-east-1:630287363158:identitypool/{POOL}"


def test_a_pool_given_only_an_authenticated_role_is_high():
    f = finding(record(ROLES, requestParameters=AUTH_ONLY), RULE)
    assert f is not None and f.severity is Severity.HIGH and "unauthenticated" not in f.reason


def test_turning_on_unauthenticated_identities_is_critical():
    rec = record(ROLES, eventName="UpdateIdentityPool", requestParameters=Replace(
        {"identityPoolId": POOL, "identityPoolName": "app", "allowUnauthenticatedIdentities": True}))
    assert finding(rec, RULE).severity is Severity.CRITICAL


def test_a_pool_created_without_unauthenticated_identities_is_high():
    rec = record(ROLES, eventName="CreateIdentityPool", requestParameters=Replace(
        {"identityPoolName": "app", "allowUnauthenticatedIdentities": False}),
        responseElements={"identityPoolId": POOL})
    assert finding(rec, RULE).severity is Severity.HIGH


def test_an_iam_manager_opening_a_pool_is_medium():
    f = finding(record(ROLES, userIdentity=identity_of("sso-session-call.json")), RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_a_trusted_token_issuer_is_critical_and_names_the_issuer():
    f = finding(record(ISSUER), RULE)
    assert f is not None and f.severity is Severity.CRITICAL
    assert "idp.example-partner.net" in f.reason and "IAM Identity Center" in f.reason
    assert f.target_arn.startswith("arn:aws:sso::630287363158:trustedTokenIssuer/")


@pytest.mark.parametrize("name", IDENTITY_SOURCE)
def test_identity_center_identity_source_changes_are_critical(name):
    rec = record(ISSUER, eventSource="sso-directory.amazonaws.com", eventName=name,
                 requestParameters=Replace({}), responseElements=None)
    f = finding(rec, RULE)
    assert f is not None and f.severity is Severity.CRITICAL


def test_the_same_names_from_another_service_are_not_judged():
    assert finding(record(ROLES, eventSource="cognito-idp.amazonaws.com"), RULE) is None
    assert finding(record(ISSUER, eventSource="sso-oauth.amazonaws.com"), RULE) is None


def test_a_refused_call_is_medium():
    f = finding(record(ROLES, errorCode="AccessDeniedException", responseElements=None), RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "attempt" in f.reason


def test_hostile_shapes_do_not_crash():
    for bad in ("x", None, [1], {"roles": "x", "trustedTokenIssuerConfiguration": ["y"]}):
        assert finding(record(ROLES, requestParameters=Replace(bad)), RULE) is not None
        assert finding(record(ISSUER, requestParameters=Replace(bad), responseElements=Replace(bad)), RULE)


def test_replay_gives_the_same_output_with_and_without_the_memo(tmp_path, capsys):
    other = record(ROLES, eventSource="cognito-idp.amazonaws.com")
    with_memo, without = replay_twice([other, record(ROLES), other, record(ISSUER)], tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 2
