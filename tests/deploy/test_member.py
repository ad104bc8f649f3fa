"""dist/member.json (issue 14): the member StackSet template forwards exactly what the central rules judge.

The template is the one ``deploy/package.sh`` writes beside sam.json (the session's ``prod``
package). On moto, it is deployed as a stack into a member account in two regions through an
assumed role; the central account's bus carries the packaged handler rules, each into a queue.
Each case envelope is put on the member's default bus and, separately, straight on the central
bus: the families reached must be the same, so every event a central handler matches is
forwarded, and every forwarded event reaches at least one central handler.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.org.names import handler_of

from . import blinding_events as blinding
from .conftest import ALL_EVENTS, Packaged
from .routing_cases import cases

CENTRAL_REGION = "us-east-1"
MEMBER = "222233334444"
BUS = "trailwarden-org"
CASES = cases() + blinding.blinding_cases()


def member_template(pkg: Packaged) -> dict[str, Any]:
    return json.loads((pkg.directory / "member.json").read_text())


def central_rules(pkg: Packaged) -> dict[str, tuple[dict[str, Any], str]]:
    """family → (pattern, state) of the packaged central handler rules."""
    out = {}
    for _, event in pkg.rules().values():
        props = event["Properties"]
        if "Pattern" in props:
            out[props["RuleName"].removeprefix(f"trailwarden-{pkg.stage}-")] = (props["Pattern"], props["State"])
    return out


def test_every_central_family_is_forwarded_with_its_pattern_and_state(prod: Packaged) -> None:
    rules = {r["Properties"]["Name"].removeprefix("trailwarden-forward-"): r["Properties"]
             for r in member_template(prod)["Resources"].values() if r["Type"] == "AWS::Events::Rule"}
    assert {f: (p["EventPattern"], p["State"]) for f, p in rules.items()} == central_rules(prod)


def test_read_only_families_forward_with_all_management_events_and_writes_without(prod: Packaged) -> None:
    states = {f: s for f, (_, s) in central_rules(prod).items()}
    assert {"root", "sts", "ssm", "signin"} <= {f for f, s in states.items() if s == ALL_EVENTS}
    assert states["writes"] == "ENABLED"


def test_forwarding_role_may_put_events_on_the_central_bus_only(prod: Packaged) -> None:
    role = member_template(prod)["Resources"]["ForwardingRole"]["Properties"]
    (statement,) = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "events:PutEvents" and statement["Resource"] == {"Ref": "CentralEventBusArn"}
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}


def test_member_template_is_cfn_lint_clean(prod: Packaged) -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run([str(cfn_lint), str(prod.directory / "member.json")], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_central_bus_parameter_refuses_an_empty_or_malformed_arn(prod: Packaged) -> None:
    import re

    pattern = member_template(prod)["Parameters"]["CentralEventBusArn"]["AllowedPattern"]
    assert re.match(pattern, f"arn:aws:events:us-east-1:111122223333:event-bus/{BUS}")
    assert not re.match(pattern, "") and not re.match(pattern, "trailwarden-org")


@dataclass
class Org:
    central_events: Any
    member_events: dict[str, Any]  # region → member default-bus client
    sqs: Any
    queues: dict[str, str]
    states: dict[str, str]
    arrivals: str  # queue of a catch-all rule on the central bus: everything forwarded

    def drain(self, url: str) -> list[dict[str, Any]]:
        out = []
        while msgs := self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for m in msgs:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                out.append(json.loads(m["Body"]))
        return out

    def reached(self) -> set[str]:
        """Central families whose handler EventBridge would invoke (read-only events need the ALL state)."""
        out = set()
        for family, url in self.queues.items():
            for body in self.drain(url):
                read_only = body["detail"].get("readOnly") is True
                if self.states[family] == ALL_EVENTS or not read_only:
                    out.add(handler_of(family))  # reads-2: part of a pattern split over the size quota
        return out


def put(client: Any, env: dict[str, Any], bus: str = "default") -> None:
    entry = {"Source": env["source"], "DetailType": env["detail-type"], "Detail": json.dumps(env["detail"]),
             "EventBusName": bus}
    assert client.put_events(Entries=[entry])["FailedEntryCount"] == 0


@pytest.fixture(scope="module")
def org(prod: Packaged) -> Iterator[Org]:
    with pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            mp.delenv(name, raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with mock_aws():
            events = boto3.client("events", region_name=CENTRAL_REGION)
            sqs = boto3.client("sqs", region_name=CENTRAL_REGION)
            bus_arn = events.create_event_bus(Name=BUS)["EventBusArn"]

            def queue(name: str) -> tuple[str, str]:
                url = sqs.create_queue(QueueName=name)["QueueUrl"]
                return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                    "QueueArn"]

            queues, states = {}, {}
            for family, (pattern, state) in central_rules(prod).items():
                url, arn = queue(f"central-{family}")
                events.put_rule(Name=family, EventBusName=BUS, EventPattern=json.dumps(pattern), State=state)
                events.put_targets(Rule=family, EventBusName=BUS, Targets=[{"Id": "q", "Arn": arn}])
                queues[family], states[family] = url, state
            arrivals, arrivals_arn = queue("central-arrivals")
            events.put_rule(Name="arrivals", EventBusName=BUS, EventPattern=json.dumps({"version": ["0"]}))
            events.put_targets(Rule="arrivals", EventBusName=BUS, Targets=[{"Id": "q", "Arn": arrivals_arn}])
            creds = boto3.client("sts", region_name=CENTRAL_REGION).assume_role(
                RoleArn=f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole",
                RoleSessionName="stackset")["Credentials"]
            keys = {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
                    "aws_session_token": creds["SessionToken"]}
            body = (prod.directory / "member.json").read_text()
            members = {}
            for region in ("us-east-1", "eu-west-1"):
                boto3.client("cloudformation", region_name=region, **keys).create_stack(
                    StackName="trailwarden-member", TemplateBody=body, Capabilities=["CAPABILITY_NAMED_IAM"],
                    Parameters=[{"ParameterKey": "CentralEventBusArn", "ParameterValue": bus_arn}])
                members[region] = boto3.client("events", region_name=region, **keys)
            yield Org(events, members, sqs, queues, states, arrivals)


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
@pytest.mark.parametrize(("envelope_", "expected"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_an_event_in_a_member_reaches_the_central_families_it_would_reach_directly(
        org: Org, region: str, envelope_: dict[str, Any], expected: set[str]) -> None:
    put(org.central_events, envelope_, BUS)
    direct = org.reached()
    org.drain(org.arrivals)
    put(org.member_events[region], envelope_)
    assert org.reached() == direct == expected
    forwarded = org.drain(org.arrivals)
    assert bool(forwarded) == bool(expected)  # nothing forwarded that no central rule takes
    assert all(body["detail"] == envelope_["detail"] for body in forwarded)  # the record travels unchanged
