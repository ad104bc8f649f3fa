"""Issue 10, held-out variations: what an attacker's choice of name or credential makes a finding must
also reach a handler with the prod package's patterns and rule states.

Each case is judged with the bundled model (the verdict) and put on moto's bus holding the packaged
prod rules (the delivery; read-only events reach only rules in the all-events state). The negative
cases are the declared principals' own routine reads, which the narrowing leaves out.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.engine import Engine
from chalicelib.events import events_in
from chalicelib.findings import Finding
from chalicelib.history import History, MemoryHistory
from chalicelib.identity import load_model
from chalicelib.identity.loader import DEFAULT_MODEL

from .cloudtrail import ACCOUNT, api_call, assumed_role, envelope, iam_user
from .conftest import Packaged
from .test_patterns import Bus, packaged_bus

OUTSIDE = "402918375610"  # an account the bundled model does not declare
CI = "github-actions-aws-deployer"
SSO_ROLE = "AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b"
GITHUB = "token.actions.githubusercontent.com"
MODEL = load_model(DEFAULT_MODEL)


def elsewhere(identity: dict[str, Any], account: str = OUTSIDE) -> dict[str, Any]:
    return json.loads(json.dumps(identity).replace(ACCOUNT, account))


def sso(user: str, role: str = SSO_ROLE) -> dict[str, Any]:
    """An IAM Identity Center session: its issuer under the reserved path AWS keeps for it."""
    identity = assumed_role(role, user)
    identity["sessionContext"]["sessionIssuer"]["arn"] = (
        f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/{role}")
    return identity


def federated(user: str) -> dict[str, Any]:
    return {"type": "FederatedUser", "principalId": f"{ACCOUNT}:backdoor",
            "arn": f"arn:aws:sts::{ACCOUNT}:federated-user/backdoor", "accountId": ACCOUNT,
            "accessKeyId": "ASIAZ4EXAMPLEFED0001",
            "sessionContext": {"sessionIssuer": {"type": "IAMUser", "principalId": "AIDAZ4EXAMPLEUSER0002",
                                                 "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}",
                                                 "accountId": ACCOUNT, "userName": user}}}


def read(source: str, name: str, identity: dict[str, Any], **extra: Any) -> dict[str, Any]:
    account = identity.get("accountId", ACCOUNT)
    return api_call(source, name, identity, read_only=True, recipientAccountId=account, **extra)


def assume(caller: dict[str, Any], role_arn: str, session_key: str = "ASIAZ4EXAMPLECHAIN01") -> dict[str, Any]:
    account, role = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
    return api_call("sts.amazonaws.com", "AssumeRole", caller, read_only=True,
                    request={"roleArn": role_arn, "roleSessionName": "s"},
                    response={"credentials": {"accessKeyId": session_key, "sessionToken": "", "expiration": "x"},
                              "assumedRoleUser": {"arn": f"arn:aws:sts::{account}:assumed-role/{role}/s"}})


def web_identity(provider: str) -> dict[str, Any]:
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{provider}"
    subject = "repo:abt/infra:ref:refs/heads/main"
    identity = {"type": "WebIdentityUser", "principalId": f"{arn}:sts.amazonaws.com:{subject}",
                "userName": subject, "identityProvider": arn}
    return api_call("sts.amazonaws.com", "AssumeRoleWithWebIdentity", identity, read_only=True,
                    request={"roleArn": f"arn:aws:iam::{ACCOUNT}:role/github-oidc-deploy", "roleSessionName": "gh"},
                    response={"subjectFromWebIdentityToken": subject, "provider": arn, "audience": "sts.amazonaws.com",
                              "credentials": {"accessKeyId": "ASIAZ4EXAMPLEOIDC001"}})


def service_role_lookalike() -> dict[str, Any]:
    identity = assumed_role("evil", "s")
    identity["sessionContext"]["sessionIssuer"]["arn"] = f"arn:aws:iam::{ACCOUNT}:role/ops/aws-service-role/evil"
    return identity


# (id, record, the rule that must fire, the family that must receive it)
CAUGHT: list[tuple[str, dict[str, Any], str, str]] = [
    ("ci-user-name-in-an-undeclared-account", read("s3.amazonaws.com", "ListBuckets", elsewhere(iam_user(CI))),
     "identity-undeclared-principal", "reads"),
    ("agent-role-name-in-an-undeclared-account",
     read("secretsmanager.amazonaws.com", "ListSecrets", elsewhere(assumed_role("paperclip-agent", "x"))),
     "identity-undeclared-principal", "reads"),
    ("declared-sso-user-in-an-undeclared-account",
     read("iam.amazonaws.com", "ListUsers", elsewhere(sso("jared@example.com"))), "identity-undeclared-principal",
     "reads"),
    ("declared-sso-user-under-a-permission-set-nobody-lists",
     read("iam.amazonaws.com", "ListUsers", sso("jared@example.com", "AWSReservedSSO_BackdoorAdmin_9f8e7d6c5b4a3210")),
     "identity-auth-mismatch", "reads"),
    ("undeclared-sso-user-reads-iam", read("iam.amazonaws.com", "ListUsers", sso("mallory@corp.example")),
     "identity-undeclared-principal", "reads"),
    ("undeclared-user-session-token-key", read("s3.amazonaws.com", "ListBuckets",
                                               iam_user("backup-bot", key="ASIAZ4EXAMPLESESS999")),
     "identity-undeclared-principal", "reads"),
    ("federation-token-of-an-undeclared-user", read("s3.amazonaws.com", "ListBuckets", federated("backup-bot")),
     "identity-undeclared-principal", "reads"),
    ("federation-token-of-the-ci-user", read("s3.amazonaws.com", "ListBuckets", federated(CI)),
     "identity-auth-mismatch", "reads"),
    ("ci-user-console-session", read("s3.amazonaws.com", "ListBuckets", iam_user(CI, key="ASIAZ4EXAMPLECONS001"),
                                     sessionCredentialFromConsole="true"), "identity-auth-mismatch", "reads"),
    ("ci-user-enters-its-role-name-in-an-outside-account",
     assume(iam_user(CI), f"arn:aws:iam::{OUTSIDE}:role/terraform-deploy"), "sts-assume-role-unexpected", "sts"),
    ("deploy-role-name-in-an-outside-account-assumes-a-role",
     assume(elsewhere(assumed_role("terraform-deploy", "tf")), f"arn:aws:iam::{OUTSIDE}:role/admin"),
     "sts-assume-role-unexpected", "sts"),
    ("customer-role-under-an-aws-service-role-path", read("iam.amazonaws.com", "ListUsers", service_role_lookalike()),
     "identity-undeclared-principal", "reads"),
    ("declared-subject-from-an-undeclared-oidc-provider", web_identity("oidc.evil.example"),
     "identity-auth-mismatch", "sts"),
]

# Declared principals' routine reads: no finding, and no invocation.
ROUTINE: list[tuple[str, dict[str, Any]]] = [
    ("ci-user-static-key-read", read("s3.amazonaws.com", "ListBuckets", iam_user(CI))),
    ("ci-user-session-token-read", read("s3.amazonaws.com", "ListBuckets",
                                        iam_user(CI, key="ASIAZ4EXAMPLESESS001"))),
    ("declared-sso-user-reads-iam", read("iam.amazonaws.com", "ListUsers", sso("jared@example.com"))),
    ("agent-role-reads-secrets-list", read("secretsmanager.amazonaws.com", "ListSecrets",
                                           assumed_role("paperclip-agent", "x"))),
]


def judge(record: dict[str, Any], history: History | None = None) -> list[Finding]:
    engine = Engine(MODEL)
    engine.history = history if history is not None else MemoryHistory()
    (event,) = list(events_in(record))
    return engine.judge(event)


@pytest.fixture(scope="module")
def bus(prod: Packaged) -> Iterator[Bus]:
    with packaged_bus(prod) as found:
        yield found


@pytest.mark.parametrize(("record", "rule", "family"), [c[1:] for c in CAUGHT], ids=[c[0] for c in CAUGHT])
def test_an_attackers_variation_is_judged_and_delivered_in_prod(bus: Bus, record: dict[str, Any], rule: str,
                                                                 family: str) -> None:
    assert rule in {f.rule for f in judge(record)}
    assert family in bus.deliver(envelope(copy.deepcopy(record)))


@pytest.mark.parametrize("record", [c[1] for c in ROUTINE], ids=[c[0] for c in ROUTINE])
def test_a_declared_principals_routine_read_is_neither_a_finding_nor_an_invocation(bus: Bus,
                                                                                   record: dict[str, Any]) -> None:
    assert judge(record) == []
    assert bus.deliver(envelope(copy.deepcopy(record))) == set()


def test_the_declared_oidc_provider_entering_the_oidc_role_is_not_a_finding() -> None:
    assert judge(web_identity(GITHUB)) == []


def test_a_secret_read_through_a_chained_assumption_is_caught_from_the_delivered_events_alone(bus: Bus) -> None:
    """The CI user enters its deploy role (routine: not routed), the deploy role (free to assume any
    role) enters the agent role, and that session reads the agent's secret. Judging only what the
    prod rules deliver, in order, still names who obtained the reading session."""
    terraform = assumed_role("terraform-deploy", "tf")
    agent = assumed_role("paperclip-agent", "s")
    agent["accessKeyId"] = "ASIAZ4EXAMPLECHAIN01"
    steps = [
        assume(iam_user(CI), f"arn:aws:iam::{ACCOUNT}:role/terraform-deploy", "ASIAZ4EXAMPLESESS001"),
        assume(terraform, f"arn:aws:iam::{ACCOUNT}:role/paperclip-agent", "ASIAZ4EXAMPLECHAIN01"),
        api_call("ssm.amazonaws.com", "GetParameter", agent, read_only=True,
                 request={"name": "/paperclip-app/api-key", "withDecryption": True}),
    ]
    delivered = [bool(bus.deliver(envelope(copy.deepcopy(r)))) for r in steps]
    assert delivered == [False, True, True]
    history = MemoryHistory()
    findings = [f for r, d in zip(steps, delivered, strict=True) if d for f in judge(r, history)]
    (read,) = [f for f in findings if f.rule == "secret-read-undeclared"]
    assert "terraform-deploy" in read.reason
