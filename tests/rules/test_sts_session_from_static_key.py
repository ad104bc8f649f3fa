"""sts-session-from-static-key: GetSessionToken / GetFederationToken called with an IAM user's key."""

from __future__ import annotations

import pytest

from chalicelib.findings import Severity

from .conftest import finding, identity_of, record

RULE = "sts-session-from-static-key"
UNDECLARED = {"userName": "leaked-user", "arn": "arn:aws:iam::630287363158:user/leaked-user"}


@pytest.mark.parametrize("fixture", ["get-session-token.json", "get-federation-token.json"])
def test_a_declared_access_key_principal_minting_sessions_is_medium(fixture):
    f = finding(record(fixture), RULE)
    assert f is not None and f.severity is Severity.MEDIUM
    assert f.breaks == "Terraform CI in GitHub Actions"


@pytest.mark.parametrize("fixture", ["get-session-token.json", "get-federation-token.json"])
def test_an_undeclared_user_minting_sessions_is_high(fixture):
    f = finding(record(fixture, userIdentity=UNDECLARED), RULE)
    assert f is not None and f.severity is Severity.HIGH
    assert "not declared" in f.reason


def test_a_federation_token_names_the_federated_user():
    f = finding(record("get-federation-token.json"), RULE)
    assert f is not None and f.details["federated_name"] == "backdoor" and "'backdoor'" in f.reason


def test_a_refused_request_is_only_a_low_attempt():
    f = finding(record("get-session-token.json", userIdentity=UNDECLARED, errorCode="AccessDenied",
                       errorMessage="not authorized", responseElements=None), RULE)
    assert f is not None and f.severity is Severity.LOW


def test_a_role_session_calling_get_session_token_is_not_a_static_key():
    assert finding(record("get-session-token.json", userIdentity=identity_of("role-session-call.json")), RULE) is None
