"""Blinding events and the heartbeat through the packaged rules on moto's EventBridge, prod and dev.

The blinding and pipeline families are always on: dev switches the writes family off, and every
blinding call must still reach a handler there, and produce its finding when judged as delivered.
Rule state is applied as EventBridge documents it (moto ignores it): see test_patterns.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.engine import Engine
from chalicelib.events import CloudTrailEvent, events_in
from chalicelib.identity import load_model
from chalicelib.rules import load_rules
from chalicelib.rules.monitor_pipeline_tampered import MonitorPipelineTampered
from chalicelib.watch.own import OwnResources

from . import blinding_events as blinding
from .cloudtrail import envelope
from .conftest import ALL_EVENTS, Packaged, family_of

REGION = "us-east-1"
RULE_OF = {"cloudtrail.amazonaws.com": "monitor-trail-tampered", "organizations.amazonaws.com": "organization-left"}


class Bus:
    def __init__(self, pkg: Packaged) -> None:
        self.events, self.sqs = boto3.client("events", region_name=REGION), boto3.client("sqs", region_name=REGION)
        self.queues: dict[str, str] = {}
        self.states: dict[str, str] = {}
        prefix = f"trailwarden-{pkg.stage}-"
        for function_id, event in pkg.rules().values():
            props = event["Properties"]
            if "Pattern" not in props:
                continue
            family = family_of(props["RuleName"], prefix)  # a family over the pattern quota has numbered rules
            url = self.sqs.create_queue(QueueName=f"tw-{pkg.stage}-{family}")["QueueUrl"]
            arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            self.events.put_rule(Name=props["RuleName"], EventPattern=json.dumps(props["Pattern"]),
                                 State=props["State"])
            self.events.put_targets(Rule=props["RuleName"], Targets=[{"Id": function_id, "Arn": arn}])
            self.queues[family], self.states[family] = url, props["State"]

    def deliver(self, env: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Family → the envelope its Lambda would get (rule state applied)."""
        entry = {"Source": env["source"], "DetailType": env["detail-type"], "Detail": json.dumps(env["detail"]),
                 "Resources": []}
        assert "EventId" in self.events.put_events(Entries=[entry])["Entries"][0]
        reached = {}
        for family, url in self.queues.items():
            for message in self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                body = json.loads(message["Body"])
                read_only = body["detail"].get("readOnly") is True
                if self.states[family] == ALL_EVENTS or not read_only:
                    reached[family] = body
        return reached


@pytest.fixture(scope="module", params=["prod", "dev"])
def bus(request: pytest.FixtureRequest) -> Iterator[Bus]:
    pkg: Packaged = request.getfixturevalue(request.param)
    with pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
            mp.delenv(name, raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with mock_aws():
            yield Bus(pkg)


# The key's ARN is known only from the deployed environment (TRAILWARDEN_KEY_ARN), the organization's central
# bus from TRAILWARDEN_EVENT_BUS; the rest from the stages.
OWN = OwnResources.from_env({"TRAILWARDEN_KEY_ARN": blinding.KEY, "TRAILWARDEN_EVENT_BUS": "trailwarden-org"})
ENGINE = Engine(load_model(None), rules=[MonitorPipelineTampered(own=OWN) if isinstance(r, MonitorPipelineTampered)
                                         else r for r in load_rules()])


def judged(delivered: dict[str, Any]) -> set[str]:
    (event,) = events_in(delivered)
    assert isinstance(event, CloudTrailEvent)
    return {f.rule for f in ENGINE.judge(event)}


def expected_rule(name: str, source: str) -> str:
    if source in RULE_OF:
        return RULE_OF[source]
    return "detector-disabled" if source in blinding.BLINDING_SOURCES else "monitor-pipeline-tampered"


@pytest.mark.parametrize("name", sorted(blinding.CALLS))
def test_every_blinding_call_reaches_its_always_on_family_and_produces_its_finding(bus: Bus, name: str) -> None:
    source = blinding.CALLS[name][0]
    reached = bus.deliver(envelope(blinding.record(name)))
    family = blinding.family_of(source)
    assert family in reached, f"{name} does not reach {family} (reached {sorted(reached)})"
    assert bus.states[family] == "ENABLED"
    assert expected_rule(name, source) in judged(reached[family])


def test_the_heartbeat_reaches_the_pipeline_family_and_is_never_a_finding(bus: Bus) -> None:
    reached = bus.deliver(envelope(blinding.heartbeat()))
    assert "pipeline" in reached
    assert judged(reached["pipeline"]) == set()


def test_the_blinding_families_do_not_depend_on_the_writes_switch(bus: Bus) -> None:
    assert {"blinding", "pipeline"} <= set(bus.queues)


def test_calls_on_other_teams_resources_do_not_reach_the_pipeline_family(bus: Bus) -> None:
    for name, request in (("DisableRule", {"name": "payments-nightly"}),
                          ("PutFunctionConcurrency20171031", {"functionName": "payments-api",
                                                              "reservedConcurrentExecutions": 0}),
                          ("DeleteTable", {"tableName": "orders"}),
                          ("DeleteSchedule", {"name": "nightly-report", "groupName": "default"}),
                          ("RemovePermission", {"statementId": "x", "eventBusName": "payments-bus"}),
                          ("DisableAlarmActions", {"alarmNames": ["payments-5xx"]}),
                          ("AttachRolePolicy", {"roleName": "payments-api", "policyArn": "arn:aws:iam::aws:policy/x"})):
        assert "pipeline" not in bus.deliver(envelope(blinding.record(name, request=request))), name
