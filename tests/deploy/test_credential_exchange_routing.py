"""Credentials obtained outside STS's own API reach their handler in every stage, and nothing else does.

A federation token's console session (aws_consoler) is a ConsoleLogin the signin family takes whole.

An IAM Identity Center token through the device-code grant (sso-device-code-token) is a write the
always-on ``iam`` family takes (its refreshes and the polls before approval are left to ``writes``);
EKS Pod Identity's own ``sts:AssumeRole`` for a pod (eks-pod-identity-role-unexpected) is a
read-only call by an AWS service, taken by the ``sts`` family (state ALL_EVENTS), which leaves every
other service's assumptions out. Each envelope goes through moto's EventBridge with the packaged
stage's rules and states (test_patterns.packaged_bus).
"""

from __future__ import annotations

from typing import Any

import pytest

import app

from .cloudtrail import ACCOUNT, api_call, assumed_role, console_login, envelope
from .conftest import ALL_EVENTS
from .test_patterns import Bus

SSO_USER = {"type": "Unknown", "principalId": "9067642ac7-4b1c2d3e-5f60-4718-9a2b-3c4d5e6f7081",
            "accountId": ACCOUNT, "userName": "jared@example.com"}
DEVICE = {"clientId": "kq7Xz2Lm9PdR4sTuVw1yAbCd", "clientSecret": "HIDDEN_DUE_TO_SECURITY_REASONS",
          "grantType": app.DEVICE_CODE_GRANT, "deviceCode": "HIDDEN_DUE_TO_SECURITY_REASONS"}
REFRESH = {**DEVICE, "grantType": "refresh_token", "deviceCode": None}
FEDERATED = {"type": "FederatedUser", "principalId": f"{ACCOUNT}:backdoor",
             "arn": f"arn:aws:sts::{ACCOUNT}:federated-user/backdoor", "accountId": ACCOUNT,
             "sessionContext": {"sessionIssuer": {"type": "IAMUser", "principalId": "AIDAZ7TW0CIUSER00001",
                                                  "arn": f"arn:aws:iam::{ACCOUNT}:user/leaked-user",
                                                  "accountId": ACCOUNT, "userName": "leaked-user"}}}
EKS = {"type": "AWSService", "invokedBy": app.POD_IDENTITY_INVOKER}
POD_ROLE = {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/terraform-deploy", "roleSessionName": "eks-platform-web-1",
            "tags": [{"key": "kubernetes-namespace", "value": "web"}]}


def token(source: str, request: dict[str, Any], error: tuple[str, str] | None = None) -> dict[str, Any]:
    return envelope(api_call(source, "CreateToken", SSO_USER, read_only=False, request=request, error=error,
                             response=None if error else {"tokenType": "Bearer", "expiresIn": 28796}))


def assume(identity: dict[str, Any], error: tuple[str, str] | None = None) -> dict[str, Any]:
    return envelope(api_call("sts.amazonaws.com", "AssumeRole", identity, read_only=True, request=POD_ROLE,
                             error=error))


# (name, envelope, families in prod, families in dev)
CASES: list[tuple[str, dict[str, Any], set[str], set[str]]] = [
    *[(f"device-code-token-{s.split('.')[0]}", token(s, DEVICE), {"iam", "writes"}, {"iam"})
      for s in app.SSO_TOKEN_SOURCES],
    ("refresh-token-is-not-iam", token("sso-oauth.amazonaws.com", REFRESH), {"writes"}, set()),
    ("device-code-poll-before-approval-is-not-iam", token(
        "sso-oauth.amazonaws.com", DEVICE, ("AuthorizationPendingException", "Authorization is still pending")),
     {"writes"}, set()),
    ("device-code-grant-of-another-service-is-not-iam", token("kinesisvideo.amazonaws.com", DEVICE),
     {"writes"}, set()),
    ("pod-identity-assume-role", assume(EKS), {"sts"}, {"sts"}),
    # A federation token's console session (sts-session-from-static-key): the signin family, in every stage.
    ("federated-console-session", envelope(console_login(FEDERATED, success=True)), {"signin"}, {"signin"}),
    # Every refused AssumeRole reaches sts (sts-assume-role-failed), this one too.
    ("pod-identity-refused-assume-role", assume(EKS, ("AccessDenied", "not authorized")), {"sts"}, {"sts"}),
    ("another-services-assume-role-reaches-nobody", assume({**EKS, "invokedBy": "lambda.amazonaws.com"}),
     set(), set()),
    ("a-role-session-posing-as-pod-identity-is-judged-as-itself", assume(
        {**assumed_role("reporting-lambda", "etl"), "invokedBy": app.POD_IDENTITY_INVOKER}), {"sts"}, {"sts"}),
]


@pytest.mark.parametrize(("envelope_", "expected"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_prod_invokes_exactly_the_expected_families(prod_bus: Bus, envelope_: dict[str, Any],
                                                    expected: set[str]) -> None:
    assert prod_bus.deliver(envelope_) == expected


@pytest.mark.parametrize(("envelope_", "expected"), [(c[1], c[3]) for c in CASES], ids=[c[0] for c in CASES])
def test_dev_without_the_writes_family_still_delivers_what_the_rules_judge(dev_bus: Bus, envelope_: dict[str, Any],
                                                                           expected: set[str]) -> None:
    assert dev_bus.deliver(envelope_) == expected


def test_the_pod_identity_assumption_is_read_only_so_its_family_receives_every_management_event(
        prod_bus: Bus, dev_bus: Bus) -> None:
    assert prod_bus.states["sts"] == dev_bus.states["sts"] == ALL_EVENTS
