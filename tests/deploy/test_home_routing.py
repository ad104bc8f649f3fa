"""Issue 13's events reach a handler in *every* stage, including dev, whose writes family is off.

credential-used-outside-home judges any call by a principal that declares where it runs, so the
home family (filled in from the packaged model) must carry its writes where no writes family
exists; session tokens and Secrets Manager reads have always-on families of their own.
"""

from __future__ import annotations

from typing import Any

import pytest

from .cloudtrail import api_call, assumed_role, envelope, iam_user
from .conftest import ALL_EVENTS, Packaged
from .test_patterns import Bus

INSTANCE = {**assumed_role("abt-app-instance-role", "i-0abc1234def567890")}
INSTANCE["sessionContext"] = {**INSTANCE["sessionContext"], "ec2RoleDelivery": "2.0"}


def test_dev_has_no_writes_family(dev_bus: Bus) -> None:
    assert "writes" not in dev_bus.queues  # the point of this module: dev has no writes family


@pytest.mark.parametrize(("record", "family"), [
    (api_call("ec2.amazonaws.com", "RunInstances", INSTANCE, read_only=False), "home"),
    (api_call("ec2.amazonaws.com", "DescribeInstances", INSTANCE, read_only=True), "home"),
    (api_call("sts.amazonaws.com", "GetFederationToken", iam_user("github-actions-aws-deployer"), read_only=False,
              request={"name": "backdoor"}), "sts"),
    (api_call("sts.amazonaws.com", "GetSessionToken", iam_user("github-actions-aws-deployer"), read_only=True), "sts"),
    (api_call("secretsmanager.amazonaws.com", "GetSecretValue", assumed_role("reporting-lambda", "etl"),
              read_only=True, request={"secretId": "prod/db-password"}), "reads"),
], ids=["home-write", "home-read", "federation-token", "session-token", "secret-value"])
def test_issue_13_events_reach_their_family_in_dev_too(dev_bus: Bus, record: dict[str, Any], family: str) -> None:
    assert family in dev_bus.deliver(envelope(record))


def test_a_role_that_declares_no_home_is_not_routed_by_the_home_family(dev_bus: Bus) -> None:
    record = api_call("ec2.amazonaws.com", "RunInstances", assumed_role("paperclip-agent", "p"), read_only=False)
    assert "home" not in dev_bus.deliver(envelope(record))


def test_the_home_family_names_the_packaged_models_principals_ignoring_case(prod: Packaged) -> None:
    (pattern,) = [e["Properties"]["Pattern"] for _, e in prod.rules().values()
                  if e["Properties"].get("RuleName") == "trailwarden-prod-home"]
    (state,) = [e["Properties"]["State"] for _, e in prod.rules().values()
                if e["Properties"].get("RuleName") == "trailwarden-prod-home"]
    assert state == ALL_EVENTS
    assert pattern["detail"]["$or"] == [{"userIdentity": {"type": ["AssumedRole"], "sessionContext": {
        "sessionIssuer": {"userName": [{"equals-ignore-case": "abt-app-instance-role"}]}}}}]
