"""Resolving an event's actor: who it is, which declared principal, and how it authenticated (DESIGN §4)."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.events import CloudTrailEvent
from chalicelib.identity import Actor, load_model, parse_model, resolve_actor
from chalicelib.identity.loader import DEFAULT_MODEL
from tests.rules.conftest import DROP, Replace, record

A = "630287363158"
MODEL = load_model(DEFAULT_MODEL)


def actor(name: str, model=MODEL, **overrides: Any) -> Actor:
    """Resolve the actor of a fixture record from tests/fixtures/records, with overrides merged in."""
    rec = record(name, **overrides)
    if "detail" in rec:
        rec = rec["detail"]
    return resolve_actor(CloudTrailEvent.from_record(rec), model)


# -- observed auth method per actor shape ------------------------------------------------------

@pytest.mark.parametrize(("fixture", "auth"), [
    ("root-cli-call.json", "root"),
    ("root-console-session-call.json", "root"),
    ("root-console-signin-success.json", "root"),
    ("iam-user-access-key-call.json", "access-key"),
    ("iam-user-console-signin.json", "console-password"),
    ("iam-user-console-session-call.json", "console-password"),
    ("sso-session-call.json", "sso"),
    ("instance-profile-session-call.json", "instance-profile"),
    ("role-session-call.json", "role"),
    ("oidc-assume-role-with-web-identity.json", "oidc"),
    ("aws-service-caller.json", "service"),
    ("aws-service-event.json", "service"),
])
def test_observed_auth_method_of_each_actor_shape(fixture, auth):
    assert actor(fixture).auth == auth


def test_iam_user_call_invoked_by_signin_is_a_console_session():
    a = actor("iam-user-access-key-call.json", userIdentity={"invokedBy": "signin.amazonaws.com"})
    assert a.auth == "console-password"


def test_iam_user_with_a_static_key_and_no_console_marker_is_access_key():
    a = actor("iam-user-access-key-call.json")
    assert (a.kind, a.name, a.access_key_id) == ("iam-user", "github-actions-aws-deployer", "AKIAZ7TW0CIDEPL0YER1")


def test_instance_id_session_without_role_delivery_is_a_plain_role():
    a = actor("instance-profile-session-call.json", userIdentity={"sessionContext": {"ec2RoleDelivery": DROP}})
    assert a.auth == "role"
    assert a.session == "i-0a1b2c3d4e5f60718"


def test_role_delivery_on_a_session_not_named_after_an_instance_is_a_plain_role():
    a = actor("instance-profile-session-call.json", userIdentity={
        "arn": f"arn:aws:sts::{A}:assumed-role/abt-app-instance-role/borrowed",
        "principalId": "AROAZ7TW0APPINSTANCE1:borrowed"})
    assert a.auth == "role"


def test_record_without_identity_type_but_with_invoked_by_is_service_activity():
    a = actor("aws-service-event.json", eventType="AwsApiCall")
    assert a.is_service


def test_aws_account_caller_is_an_outside_account_not_a_service():
    a = actor("aws-service-caller.json", userIdentity={"type": "AWSAccount", "principalId": "AIDAZ7TW0OTHERACCT01",
                                                       "accountId": "402918375610", "invokedBy": DROP})
    assert (a.kind, a.auth, a.account, a.principal) == ("account", "cross-account", "402918375610", None)


def test_aws_account_caller_that_a_service_acted_for_is_service_activity():
    a = actor("aws-service-caller.json", userIdentity={"type": "AWSAccount", "principalId": "AIDAZ7TW0OTHERACCT01",
                                                       "accountId": "402918375610",
                                                       "invokedBy": "cloudtrail.amazonaws.com"})
    assert a.is_service


@pytest.mark.parametrize("identity_type", ["Unknown", "IdentityCenterUser", "Directory", "SomethingNew"])
def test_an_identity_type_the_resolver_does_not_know_is_unknown_never_a_service(identity_type):
    a = actor("aws-service-caller.json", userIdentity={"type": identity_type, "invokedBy": "AWS Internal",
                                                       "userName": "someone"})
    assert (a.kind, a.auth, a.identity_type) == ("unknown", "unknown", identity_type)


def test_saml_user_resolves_to_the_role_it_entered():
    a = actor("oidc-assume-role-with-web-identity.json", eventName="AssumeRoleWithSAML", userIdentity=Replace({
        "type": "SAMLUser", "principalId": "SAMLissuer:alice", "userName": "alice"}))
    assert (a.kind, a.auth, a.name, a.session) == ("saml", "saml", "github-oidc-deploy", "alice")


def test_a_role_named_like_sso_outside_the_reserved_path_is_a_plain_role():
    a = actor("sso-session-call.json", userIdentity={"sessionContext": {"sessionIssuer": {
        "arn": f"arn:aws:iam::{A}:role/AWSReservedSSO_AdministratorAccess_5f1c2d3e4b5a6978"}}})
    assert (a.auth, a.principal) == ("role", None)


def test_a_role_named_like_sso_without_an_issuer_is_a_plain_role():
    a = actor("sso-session-call.json", userIdentity={"sessionContext": {"sessionIssuer": DROP}})
    assert (a.auth, a.principal) == ("role", None)


def model_with_sso_region(region: str):
    return parse_model(f"""
version: 1
accounts: [{{id: "{A}", name: management, sso_region: {region}}}]
principals:
  - {{id: jared, kind: human, auth: sso, sso_users: [jared@example.com]}}
""")


def test_an_sso_issuer_in_another_region_than_the_declared_one_is_not_sso():
    # the fixture's issuer path says us-west-2
    assert actor("sso-session-call.json", model=model_with_sso_region("eu-west-1")).auth == "role"


def test_an_sso_issuer_in_the_declared_region_is_sso():
    assert actor("sso-session-call.json", model=model_with_sso_region("us-west-2")).principal_id == "jared"


def test_iam_user_names_resolve_regardless_of_case():
    a = actor("iam-user-access-key-call.json", userIdentity={"userName": "GitHub-Actions-AWS-Deployer"})
    assert a.principal_id == "github-actions"


def test_record_without_identity_type_or_invoked_by_is_unknown():
    a = actor("record-missing-fields.json")
    assert (a.kind, a.auth, a.principal) == ("unknown", "unknown", None)
    assert a.account == "402918375610"


def test_federated_user_resolves_to_the_iam_user_behind_it():
    a = actor("iam-user-access-key-call.json", userIdentity={
        "type": "FederatedUser", "arn": f"arn:aws:sts::{A}:federated-user/ci-temp", "userName": DROP,
        "sessionContext": {"sessionIssuer": {"type": "IAMUser", "userName": "github-actions-aws-deployer",
                                             "arn": f"arn:aws:iam::{A}:user/github-actions-aws-deployer"}}})
    assert a.auth == "federated"
    assert a.principal_id == "github-actions"


# -- principal and offending ARN ----------------------------------------------------------------

def test_root_resolves_to_no_principal_and_names_its_arn():
    a = actor("root-cli-call.json")
    assert (a.is_root, a.principal, a.arn) == (True, None, f"arn:aws:iam::{A}:root")


def test_root_without_arn_is_named_by_its_account():
    assert actor("root-cli-call.json", userIdentity={"arn": DROP}).arn == f"arn:aws:iam::{A}:root"


def test_root_without_arn_or_account_id_is_named_by_the_recipient_account():
    a = actor("root-cli-call.json", userIdentity={"arn": DROP, "accountId": DROP})
    assert a.arn == f"arn:aws:iam::{A}:root"


def test_declared_iam_user_resolves_to_its_principal():
    assert actor("iam-user-access-key-call.json").principal_id == "github-actions"


def test_iam_user_names_match_case_insensitively():
    a = actor("iam-user-access-key-call.json", userIdentity={"userName": "GITHUB-ACTIONS-AWS-DEPLOYER"})
    assert a.principal_id == "github-actions"


def test_hidden_user_name_of_a_failed_signin_resolves_to_nobody():
    a = actor("signin-failure-hidden-user.json")
    assert (a.kind, a.name, a.principal, a.is_root) == ("iam-user", None, None, False)
    assert a.arn is None


def test_sso_session_resolves_to_the_human_by_session_name():
    a = actor("sso-session-call.json")
    assert a.principal_id == "jared"
    assert a.permission_set == "AdministratorAccess"
    assert a.session == "jared@example.com"
    assert a.name == "AWSReservedSSO_AdministratorAccess_5f1c2d3e4b5a6978"


def test_sso_session_of_an_unknown_user_resolves_to_nobody():
    a = actor("sso-session-call.json", userIdentity={
        "arn": f"arn:aws:sts::{A}:assumed-role/AWSReservedSSO_AdministratorAccess_5f1c2d3e4b5a6978/eve@example.com"})
    assert (a.auth, a.principal) == ("sso", None)


def test_sso_session_name_is_read_from_principal_id_when_arn_is_missing():
    a = actor("sso-session-call.json", userIdentity={"arn": DROP})
    assert a.session == "jared@example.com"
    assert a.principal_id == "jared"


def test_instance_profile_session_resolves_to_its_role_principal():
    a = actor("instance-profile-session-call.json")
    assert (a.principal_id, a.name) == ("app-servers", "abt-app-instance-role")
    assert a.role_arn == f"arn:aws:iam::{A}:role/abt-app-instance-role"


def test_role_session_resolves_to_its_role_principal():
    a = actor("role-session-call.json")
    assert (a.principal_id, a.session) == ("paperclip-agents", "paperclip-worker-7")
    assert a.arn == f"arn:aws:sts::{A}:assumed-role/paperclip-agent/paperclip-worker-7"


def test_role_name_is_read_from_the_session_arn_when_the_issuer_is_missing():
    a = actor("role-session-call.json", userIdentity={"sessionContext": DROP})
    assert a.name == "paperclip-agent"
    assert a.role_arn == f"arn:aws:iam::{A}:role/paperclip-agent"
    assert a.principal_id == "paperclip-agents"


def test_web_identity_resolves_to_the_role_and_names_the_role_arn():
    a = actor("oidc-assume-role-with-web-identity.json")
    assert a.kind == "web-identity"
    assert a.arn == a.role_arn == f"arn:aws:iam::{A}:role/github-oidc-deploy"
    assert a.session == "repo:abt/infra:ref:refs/heads/main"
    assert a.principal_id == "infra-deploy"
    assert a.account == A


def test_web_identity_subject_falls_back_to_the_token_subject_in_the_response():
    a = actor("oidc-assume-role-with-web-identity.json", userIdentity={"userName": DROP})
    assert a.session == "repo:abt/infra:ref:refs/heads/main"


def test_principal_limited_to_other_accounts_is_not_resolved_here():
    model = parse_model(
        'version: 1\n'
        'accounts: [{id: "630287363158", name: management}, {id: "402918375610", name: sandbox}]\n'
        'principals:\n'
        '  - {id: agents, kind: agent, auth: role, roles: [paperclip-agent], accounts: ["402918375610"]}\n'
    )
    assert actor("role-session-call.json", model).principal is None


def test_eventbridge_detail_actor_resolves_like_a_bare_record():
    a = actor("eventbridge-api-call.json")
    assert (a.kind, a.auth, a.arn) == ("root", "root", f"arn:aws:iam::{A}:root")


@pytest.mark.parametrize("garbage", [None, "Root", [], {"type": 7}, {"type": "IAMUser", "userName": {"x": 1}}])
def test_malformed_user_identity_never_raises(garbage):
    # A declared principal's record: the garbage must stop it resolving, not crash (root never resolves).
    a = actor("iam-user-access-key-call.json", userIdentity=garbage)
    assert a.principal is None


def test_typeless_identity_invoked_by_aws_internal_is_service_activity():
    a = actor("aws-service-event.json", userIdentity={"invokedBy": "AWS Internal"}, eventType="AwsApiCall")
    assert a.is_service


@pytest.mark.parametrize(("fixture", "kind"), [
    ("root-console-session-call.json", "root"),
    ("iam-user-console-session-call.json", "iam-user"),
    ("role-session-call.json", "assumed-role"),
])
def test_real_principal_acting_through_the_console_as_aws_internal_is_still_that_principal(fixture, kind):
    # Console pages call some APIs with invokedBy "AWS Internal"; the caller is still the user, role or root.
    a = actor(fixture, userIdentity={"invokedBy": "AWS Internal"}, sourceIPAddress="AWS Internal",
              userAgent="AWS Internal")
    assert a.kind == kind
    assert not a.is_service


def test_an_sso_issuer_whose_account_field_is_redacted_is_still_sso():
    # published records redact the account ("xxx"); the reserved path, which AWS sets, decides
    a = actor("sso-session-call.json", userIdentity={"accountId": "xxx", "sessionContext": {"sessionIssuer": {
        "accountId": "xxx",
        "arn": "arn:aws:iam::xxx:role/aws-reserved/sso.amazonaws.com/us-west-2/"
               "AWSReservedSSO_AdministratorAccess_5f1c"}}})
    assert a.auth == "sso"


def test_a_role_at_a_look_alike_reserved_path_with_a_redacted_account_is_a_plain_role():
    a = actor("sso-session-call.json", userIdentity={"sessionContext": {"sessionIssuer": {
        "arn": "arn:aws:iam::xxx:role/aws-reserved/sso.amazonaws.com.evil/AWSReservedSSO_AdministratorAccess_5f1c"}}})
    assert a.auth == "role"
