"""sso-device-code-token: an Identity Center token issued through the OAuth device-code grant."""

from __future__ import annotations

import pytest

from chalicelib.findings import Severity

from .conftest import DROP, Replace, finding, record, replay_twice

RULE = "sso-device-code-token"
FIXTURE = "sso-oidc-create-token-device-code.json"


def test_a_declared_user_approving_a_device_code_is_medium():
    f = finding(record(FIXTURE), RULE)
    assert f is not None and f.severity is Severity.MEDIUM
    assert f.details["declared"] and "jared" in f.reason and "198.51.100.23" in f.reason


def test_the_user_name_matches_the_model_whatever_its_case():
    f = finding(record(FIXTURE, userIdentity={"userName": "Jared@Example.com"}), RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_an_undeclared_user_approving_a_device_code_is_high():
    f = finding(record(FIXTURE, userIdentity={"userName": "contractor@example.net"}), RULE)
    assert f is not None and f.severity is Severity.HIGH and "not declared" in f.reason


def test_a_record_naming_no_user_is_high():
    f = finding(record(FIXTURE, userIdentity={"userName": DROP}), RULE)
    assert f is not None and f.severity is Severity.HIGH and "names no approving user" in f.reason


def test_the_current_sso_oauth_source_is_judged_alike():
    f = finding(record(FIXTURE, eventSource="sso-oauth.amazonaws.com"), RULE)
    assert f is not None and f.severity is Severity.MEDIUM


def test_a_refresh_of_an_existing_token_is_not_a_device_code():
    refresh = {"grantType": "refresh_token", "deviceCode": DROP, "refreshToken": "HIDDEN_DUE_TO_SECURITY_REASONS"}
    assert finding(record(FIXTURE, requestParameters=refresh), RULE) is None


def test_the_authorization_code_flow_of_current_clis_is_quiet():
    assert finding(record(FIXTURE, requestParameters={"grantType": "authorization_code", "deviceCode": DROP}),
                   RULE) is None


def test_the_polls_before_approval_are_not_judged():
    assert finding(record(FIXTURE, errorCode="AuthorizationPendingException", responseElements=None,
                          userIdentity=Replace({"type": "Unknown", "principalId": "", "accountId": "630287363158"})),
                   RULE) is None


def test_another_services_create_token_is_not_identity_center():
    assert finding(record(FIXTURE, eventSource="kinesisvideo.amazonaws.com"), RULE) is None


@pytest.mark.parametrize("params", [None, "x", [], {"grantType": 7}, {"grantType": None}])
def test_hostile_request_shapes_are_quiet_without_a_crash(params):
    assert finding(record(FIXTURE, requestParameters=Replace(params)), RULE) is None


def test_replay_with_and_without_the_memo_agree(tmp_path, capsys):
    records = [record(FIXTURE, eventID="a", requestParameters={"grantType": "refresh_token"}),
               record(FIXTURE, eventID="b"),
               record(FIXTURE, eventID="c", userIdentity={"userName": "contractor@example.net"}),
               record(FIXTURE, eventID="d", eventSource="kinesisvideo.amazonaws.com"),
               record(FIXTURE, eventID="e", eventSource="sso-oauth.amazonaws.com")]
    with_memo, without = replay_twice(records, tmp_path, capsys)
    assert with_memo == without and RULE in with_memo
