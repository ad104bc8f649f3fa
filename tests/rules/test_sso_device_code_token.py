"""sso-device-code-token: an Identity Center token issued through the OAuth device-code grant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.findings import Severity

from .conftest import DROP, Replace, finding, model_from, record, replay_twice

RULE = "sso-device-code-token"
FIXTURE = "sso-oidc-create-token-device-code.json"


# jared declares where he works: a device-code token polled from elsewhere went to someone else's device.
HOME = model_from("""
    version: 1
    accounts: [{id: "630287363158", name: management}]
    principals:
      - {id: jared, kind: human, auth: sso, sso_users: [jared@example.com], network: {cidrs: ["198.51.100.0/24"]}}
""")


def test_a_declared_user_approving_a_device_code_is_stored_low():
    f = finding(record(FIXTURE), RULE)
    assert f is not None and f.severity is Severity.LOW
    assert f.details["declared"] and "jared" in f.reason and "198.51.100.23" in f.reason


def test_a_token_polled_from_outside_the_users_declared_network_is_high():
    f = finding(record(FIXTURE, sourceIPAddress="203.0.113.66"), RULE, model=HOME)
    assert f is not None and f.severity is Severity.HIGH and "phishing" in f.reason


def test_a_token_polled_from_the_users_declared_network_stays_low():
    f = finding(record(FIXTURE), RULE, model=HOME)
    assert f is not None and f.severity is Severity.LOW


@pytest.mark.parametrize("address", ["AWS Internal", "075.050.255.67", "2001:db8::1", None])
def test_an_address_that_is_not_a_plain_ip_is_never_inside_the_declared_network(address):
    f = finding(record(FIXTURE, sourceIPAddress=address), RULE, model=HOME)
    assert f is not None and f.severity is Severity.HIGH


def test_the_user_name_matches_the_model_whatever_its_case():
    f = finding(record(FIXTURE, userIdentity={"userName": "Jared@Example.com"}, sourceIPAddress="203.0.113.66"),
                RULE, model=HOME)
    assert f is not None and f.severity is Severity.HIGH


def test_an_undeclared_user_approving_a_device_code_is_medium():
    f = finding(record(FIXTURE, userIdentity={"userName": "contractor@example.net"}), RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "not declared" in f.reason


def test_a_record_naming_no_user_is_medium():
    f = finding(record(FIXTURE, userIdentity={"userName": DROP}), RULE)
    assert f is not None and f.severity is Severity.MEDIUM and "names no approving user" in f.reason


def test_an_identity_center_outside_the_models_accounts_is_low():
    f = finding(record(FIXTURE, recipientAccountId="402918375610", userIdentity={
        "accountId": "402918375610", "userName": "contractor@example.net"}), RULE)
    assert f is not None and f.severity is Severity.LOW and "outside the model" in f.reason


def test_the_current_sso_oauth_source_is_judged_alike():
    f = finding(record(FIXTURE, eventSource="sso-oauth.amazonaws.com", sourceIPAddress="203.0.113.66"),
                RULE, model=HOME)
    assert f is not None and f.severity is Severity.HIGH


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


SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "cloudtrail-samples" / "6-benign"
CLI_LOGIN = SHARED / "rooty0-sso-oidc-createtoken-unknown-type.json"


@pytest.mark.skipif(not CLI_LOGIN.is_file(), reason=f"shared sample not found at {CLI_LOGIN}")
def test_the_shared_benign_cli_login_outside_the_models_accounts_stays_below_medium():
    f = finding(json.loads(CLI_LOGIN.read_text(encoding="utf-8")), RULE)
    assert f is not None and f.severity is Severity.LOW


def test_a_record_naming_the_user_by_id_only_is_matched_on_the_declared_sso_user_ids():
    user_id = "9067642ac7-4b1c2d3e-5f60-4718-9a2b-3c4d5e6f7081"
    model = model_from(f"""
        version: 1
        accounts:
          - {{id: "630287363158", name: prod}}
        principals:
          - {{id: jared, kind: human, auth: sso, sso_users: [jared@example.com], sso_user_ids: ["{user_id}"]}}
        """)
    store = "arn:aws:identitystore::630287363158:identitystore/d-9067642ac7"
    identity = Replace({"type": "IdentityCenterUser", "accountId": "630287363158",
                        "onBehalfOf": {"userId": user_id, "identityStoreArn": store}})
    f = finding(record(FIXTURE, userIdentity=identity), RULE, model=model)
    assert f is not None and f.severity is Severity.LOW and "jared" in f.reason
    stranger = Replace({**identity.value, "onBehalfOf": {"userId": "9067642ac7-00000000-1111-4222-8333-444444444444"}})
    f = finding(record(FIXTURE, userIdentity=stranger), RULE, model=model)
    assert f is not None and f.severity is Severity.MEDIUM
