"""The reads and sts narrowing leave a declared name out only in the accounts the model declares it in.

A user or role name is whoever made it's choice: the CI user's name, or a declared role's, made in
another account (undeclared, or declared without that principal) is an undeclared principal there,
so its calls stay routed. Matched with moto's EventBridge pattern matcher on real-shaped envelopes,
for a model whose principals live in different accounts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from moto.events.models import EventPattern

from .cloudtrail import ACCOUNT, api_call, assumed_role, envelope, iam_user
from .test_builder import load_builder

PROD, OUTSIDE = "222222222222", "402918375610"
MODEL = f"""\
version: 1
accounts: [{{id: "{ACCOUNT}", name: management}}, {{id: "{PROD}", name: production}}]
principals:
  - {{id: ci, kind: ci, auth: access-key, iam_user: deployer, may_assume: [deploy]}}
  - {{id: backup, kind: ci, auth: access-key, iam_user: nightly-backup, accounts: ["{PROD}"]}}
  - {{id: batch, kind: workload, auth: role, roles: [batch-worker], accounts: ["{PROD}"]}}
  - {{id: deploy, kind: ci, auth: role, roles: [deploy]}}
  - {{id: jared, kind: human, auth: sso, sso_users: [jared@example.com], accounts: ["{ACCOUNT}"]}}
  - {{id: app, kind: workload, auth: instance-profile, roles: [app-instance]}}
"""
SSO_ROLE = "AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b"


def pattern(tmp_path: Path, family: str) -> EventPattern:
    import app  # the patterns only: no handler runs

    path = tmp_path / "model.yaml"
    path.write_text(MODEL)
    narrowed = load_builder().narrowed_pattern(family, app.PATTERNS[family], {"TRAILWARDEN_MODEL": str(path)})
    return EventPattern.load(json.dumps(narrowed))


def in_account(identity: dict[str, Any], account: str) -> dict[str, Any]:
    return json.loads(json.dumps(identity).replace(ACCOUNT, account))


def sso(user: str) -> dict[str, Any]:
    identity = assumed_role(SSO_ROLE, user)
    identity["sessionContext"]["sessionIssuer"]["arn"] = (
        f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/{SSO_ROLE}")
    return identity


def read(source: str, name: str, identity: dict[str, Any], account: str) -> dict[str, Any]:
    return envelope(api_call(source, name, in_account(identity, account), read_only=True, recipientAccountId=account))


READS = [  # (id, caller, source, event name, account, routed)
    ("ci-user-at-home", iam_user("deployer"), "s3.amazonaws.com", "ListBuckets", ACCOUNT, False),
    ("ci-user-in-the-other-declared-account", iam_user("deployer"), "s3.amazonaws.com", "ListBuckets", PROD, False),
    ("ci-user-name-outside-the-model", iam_user("deployer"), "s3.amazonaws.com", "ListBuckets", OUTSIDE, True),
    ("backup-user-in-its-account", iam_user("nightly-backup"), "s3.amazonaws.com", "ListBuckets", PROD, False),
    ("backup-user-name-in-an-account-it-is-not-declared-in", iam_user("nightly-backup"), "s3.amazonaws.com",
     "ListBuckets", ACCOUNT, True),
    ("batch-role-in-its-account", assumed_role("batch-worker", "b"), "iam.amazonaws.com", "ListRoles", PROD, False),
    ("batch-role-name-in-an-account-it-is-not-declared-in", assumed_role("batch-worker", "b"), "iam.amazonaws.com",
     "ListRoles", ACCOUNT, True),
    ("sso-user-in-its-account", sso("jared@example.com"), "iam.amazonaws.com", "ListUsers", ACCOUNT, False),
    ("sso-user-in-an-account-it-is-not-declared-in", sso("jared@example.com"), "iam.amazonaws.com", "ListUsers",
     PROD, True),
    ("undeclared-sso-user", sso("mallory@example.com"), "iam.amazonaws.com", "ListUsers", ACCOUNT, True),
]


@pytest.mark.parametrize(("caller", "source", "name", "account", "routed"), [r[1:] for r in READS],
                         ids=[r[0] for r in READS])
def test_a_declared_name_is_left_out_of_the_reads_only_where_it_is_declared(
        tmp_path: Path, caller: dict[str, Any], source: str, name: str, account: str, routed: bool) -> None:
    assert pattern(tmp_path, "reads").matches_event(read(source, name, caller, account)) is routed


def assume(caller: dict[str, Any], account: str, role_arn: str) -> dict[str, Any]:
    return envelope(api_call("sts.amazonaws.com", "AssumeRole", in_account(caller, account), read_only=True,
                             request={"roleArn": role_arn, "roleSessionName": "s"}, recipientAccountId=account))


@pytest.mark.parametrize(("account", "role_account", "routed"), [
    (ACCOUNT, ACCOUNT, False), (PROD, PROD, False), (ACCOUNT, OUTSIDE, True), (OUTSIDE, ACCOUNT, True)],
    ids=["own-role-at-home", "own-role-in-a-declared-account", "own-role-name-outside-the-model",
         "ci-user-name-outside-the-model"])
def test_the_ci_users_entry_into_its_own_role_is_left_out_only_inside_the_model(
        tmp_path: Path, account: str, role_account: str, routed: bool) -> None:
    event = assume(iam_user("deployer"), account, f"arn:aws:iam::{role_account}:role/deploy")
    assert pattern(tmp_path, "sts").matches_event(event) is routed


def test_an_unrestricted_declared_roles_name_outside_the_model_is_routed_on_sts(tmp_path: Path) -> None:
    sts = pattern(tmp_path, "sts")
    arn = f"arn:aws:iam::{ACCOUNT}:role/anything"
    assert not sts.matches_event(assume(assumed_role("deploy", "d"), ACCOUNT, arn))
    assert sts.matches_event(assume(assumed_role("deploy", "d"), OUTSIDE, arn))


def instance_session(delivered: bool) -> dict[str, Any]:
    identity = assumed_role("app-instance", "i-0123456789abcdef0")
    if delivered:
        identity["sessionContext"]["ec2RoleDelivery"] = "2.0"
    return identity


def test_an_instance_roles_session_that_imds_did_not_deliver_is_routed_on_any_read(tmp_path: Path) -> None:
    event = read("s3.amazonaws.com", "ListBuckets", instance_session(delivered=False), ACCOUNT)
    assert pattern(tmp_path, "reads").matches_event(event)


def test_an_instance_roles_own_session_on_its_instance_is_left_out(tmp_path: Path) -> None:
    event = read("s3.amazonaws.com", "ListBuckets", instance_session(delivered=True), ACCOUNT)
    assert not pattern(tmp_path, "reads").matches_event(event)
