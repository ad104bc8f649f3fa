"""sts-session-from-static-key: GetSessionToken / GetFederationToken called with an IAM user's key."""

from __future__ import annotations

import pytest

from chalicelib.findings import Severity

from .conftest import Replace, finding, identity_of, model_from, record, replay_twice

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


# The aws_consoler technique's last step: the federation token's console session (GetSigninToken, then login).
FED_CONSOLE = "federated-user-console-signin.json"
LEAKED_ISSUER = {"sessionContext": {"sessionIssuer": {"userName": "leaked-user",
                                                      "arn": "arn:aws:iam::630287363158:user/leaked-user"}}}


def test_a_federation_tokens_console_session_of_the_ci_user_is_high():
    f = finding(record(FED_CONSOLE), RULE)
    assert f is not None and f.severity is Severity.HIGH and f.details["console"]
    assert "'backdoor'" in f.reason and "github-actions-aws-deployer" in f.reason and "access-key" in f.reason


def test_a_federation_tokens_console_session_of_an_undeclared_user_is_high():
    f = finding(record(FED_CONSOLE, userIdentity=LEAKED_ISSUER), RULE)
    assert f is not None and f.severity is Severity.HIGH and "not declared" in f.reason


def test_the_console_session_groups_with_the_token_that_made_it():
    console = finding(record(FED_CONSOLE), RULE)
    token = finding(record("get-federation-token.json"), RULE)
    assert console is not None and token is not None and console.group_key == token.group_key


def test_a_declared_console_user_signing_in_through_a_federation_token_is_medium():
    model = model_from("""
        version: 1
        accounts: [{id: "630287363158", name: management}]
        principals:
          - {id: ops, kind: human, auth: console, iam_user: github-actions-aws-deployer}
    """)
    f = finding(record(FED_CONSOLE), RULE, model=model)
    assert f is not None and f.severity is Severity.MEDIUM


def test_a_failed_federated_console_sign_in_is_quiet():
    assert finding(record(FED_CONSOLE, responseElements={"ConsoleLogin": "Failure"}, errorMessage="Failed"),
                   RULE) is None


def test_an_iam_users_own_password_sign_in_is_not_a_session_from_its_key():
    assert finding(record("iam-user-console-signin.json"), RULE) is None


@pytest.mark.parametrize("issuer", [None, "x", {"sessionIssuer": None}, {"sessionIssuer": {"userName": 5}}])
def test_hostile_issuer_shapes_are_judged_without_a_crash(issuer):
    f = finding(record(FED_CONSOLE, userIdentity={"sessionContext": Replace(issuer)}), RULE)
    assert f is not None and f.severity is Severity.HIGH


def test_replay_of_federated_console_sessions_agrees_with_and_without_the_memo(tmp_path, capsys):
    records = [record(FED_CONSOLE, eventID="a", responseElements={"ConsoleLogin": "Failure"}),
               record(FED_CONSOLE, eventID="b"), record(FED_CONSOLE, eventID="c", userIdentity=LEAKED_ISSUER),
               record("iam-user-console-signin.json", eventID="d"), record(FED_CONSOLE, eventID="e")]
    with_memo, without = replay_twice(records, tmp_path, capsys)
    assert with_memo == without and RULE in with_memo
