"""One account, several regions: dist/member.json deployed in another region of the monitor's own
account forwards what the handlers judge to the us-east-1 default bus.

Secrets Manager reads, KMS decrypts, STS calls, IAM-user sign-ins and other services' writes are
recorded in the region where they are made. The README's single-account step deploys the member
template there (its only account-wide role is created in us-east-1 alone), with the stack's own
default bus as the central bus. On moto: the packaged prod rules on us-east-1's default bus, the
member stack in eu-west-1, each case put on eu-west-1's bus must reach the families it reaches
when put on us-east-1's bus directly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from .conftest import Packaged
from .routing_cases import cases
from .test_patterns import Bus, packaged_bus

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's account: the monitor and the forwarding stack share it
# Calls recorded in the region where they are made, of the families that judge them.
REGIONAL = ("reads-undeclared-role-reading-a-secrets-manager-value", "reads-direct-decrypt-of-a-parameter",
            "ssm-getparameter-decrypt", "sts-ci-user-assuming-another-role-reaches-sts", "signin-ci-user",
            "writes-ec2-createtags", "iam-addpermission20150331v2", "home-instance-session-writing",
            "writes-read-only-describe", "sts-assumerole-by-aws-service-reaches-nobody")
CASES = [c for c in cases() if c[0] in REGIONAL]


@pytest.fixture(scope="module")
def regions(prod: Packaged) -> Iterator[tuple[Bus, Any]]:
    """(the us-east-1 bus with the handler rules, eu-west-1's events client with the member stack)."""
    with packaged_bus(prod) as bus:
        boto3.client("cloudformation", region_name=REGION).create_stack(
            StackName="trailwarden-forward", TemplateBody=(prod.directory / "member.json").read_text(),
            Capabilities=["CAPABILITY_NAMED_IAM"],
            Parameters=[{"ParameterKey": "CentralEventBusArn",
                         "ParameterValue": f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"}])
        yield bus, boto3.client("events", region_name=REGION)


def test_every_regional_case_is_found() -> None:
    assert {c[0] for c in CASES} == set(REGIONAL)


def test_the_member_stack_in_another_region_creates_no_account_wide_role(regions: tuple[Bus, Any]) -> None:
    names = [r["RoleName"] for r in boto3.client("iam").list_roles()["Roles"]]
    assert "trailwarden-member-readonly" not in names  # only a us-east-1 instance makes it
    assert f"trailwarden-forward-{REGION}" in names


@pytest.mark.parametrize(("envelope_", "expected"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_a_call_in_another_region_reaches_the_families_it_reaches_in_us_east_1(
        regions: tuple[Bus, Any], envelope_: dict[str, Any], expected: set[str]) -> None:
    bus, member = regions
    direct = bus.deliver(envelope_)
    entry = {"Source": envelope_["source"], "DetailType": envelope_["detail-type"],
             "Detail": json.dumps(envelope_["detail"])}
    assert member.put_events(Entries=[entry])["FailedEntryCount"] == 0
    assert bus.reached(envelope_) == direct == expected
