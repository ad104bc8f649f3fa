"""The deployed EventBridge patterns, end to end on moto: which family's queue gets each event.

Every rule of the packaged prod template is created on moto's default bus with its exact
pattern, targeting one SQS queue per family; real-shaped CloudTrail envelopes are put on the
bus and the queues are read back. moto does not model rule *state*, so delivery of read-only
management events is filtered here the way EventBridge documents it: a rule in state
ENABLED never sees them. That is what makes "root ListBuckets reaches root" a test of the
state too, not only of the pattern.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from .cloudtrail import SAMPLE_EXPECTATIONS, cases, envelope
from .conftest import ALL_EVENTS, ROOT, Packaged

REGION = "us-east-1"
SAMPLES = ROOT.parent / "shared" / "cloudtrail-samples" / "7-eventbridge"


def delivered_despite_state(state: str, detail: dict[str, Any]) -> bool:
    """EventBridge: rules in state ENABLED get no read-only CloudTrail management events."""
    read_only = detail.get("readOnly") is True and detail.get("eventCategory", "Management") == "Management"
    return state == ALL_EVENTS or not read_only


@dataclass
class Bus:
    events: Any
    sqs: Any
    queues: dict[str, str]  # family → queue URL
    states: dict[str, str]  # family → rule state in the template

    def deliver(self, env: dict[str, Any]) -> set[str]:
        """Put one envelope on the bus; the families whose Lambda EventBridge would invoke."""
        entry = {"Source": env["source"], "DetailType": env["detail-type"], "Detail": json.dumps(env["detail"]),
                 "Resources": env.get("resources") or []}
        (result,) = self.events.put_events(Entries=[entry])["Entries"]
        assert "EventId" in result, result
        reached = set()
        for family, url in self.queues.items():
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            for message in messages:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                body = json.loads(message["Body"])
                assert body["detail"] == env["detail"]  # the Lambda would get the whole record
                if delivered_despite_state(self.states[family], body["detail"]):
                    reached.add(family)
        return reached


@pytest.fixture(scope="module")
def bus(prod: Packaged) -> Iterator[Bus]:
    with pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
            mp.delenv(name, raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", REGION)
        with mock_aws():
            events, sqs = boto3.client("events", region_name=REGION), boto3.client("sqs", region_name=REGION)
            queues, states = {}, {}
            for function_id, event in prod.rules().values():
                props = event["Properties"]
                if "Pattern" not in props:
                    continue  # the daily schedule
                family = props["RuleName"].removeprefix("trailwarden-prod-")
                url = sqs.create_queue(QueueName=f"tw-{family}")["QueueUrl"]
                arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
                events.put_rule(Name=props["RuleName"], EventPattern=json.dumps(props["Pattern"]),
                                State=props["State"])
                events.put_targets(Rule=props["RuleName"], Targets=[{"Id": function_id, "Arn": arn}])
                queues[family], states[family] = url, props["State"]
            assert set(queues) == {"root", "iam", "sts", "ssm", "signin", "writes"}
            yield Bus(events, sqs, queues, states)


CASES = cases()


@pytest.mark.parametrize(("envelope_", "expected"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_event_reaches_exactly_the_expected_families(bus: Bus, envelope_: dict[str, Any], expected: set[str]) -> None:
    assert bus.deliver(envelope_) == expected


def test_every_family_has_positive_and_negative_cases() -> None:
    families = {"root", "iam", "sts", "ssm", "signin", "writes"}
    reached = set().union(*(expected for _, _, expected in CASES))
    assert reached == families
    for family in families:
        assert any(family not in expected and family in name for name, _, expected in CASES), family


def test_read_only_events_need_the_all_events_state(bus: Bus) -> None:
    """Without ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS these would be silently lost."""
    read_only_positive = [(name, expected) for name, env, expected in CASES if env["detail"].get("readOnly") is True]
    needing = {family for _, expected in read_only_positive for family in expected}
    assert needing == {"root", "sts", "ssm"}
    assert all(bus.states[family] == ALL_EVENTS for family in needing)


def test_the_sign_in_pattern_does_not_depend_on_the_detail_type(bus: Bus) -> None:
    signin = next(env for name, env, _ in CASES if name == "signin-ci-user")
    for detail_type in ("AWS Console Sign In via CloudTrail", "AWS Console Sign-In via CloudTrail"):
        assert "signin" in bus.deliver(envelope(signin["detail"], detail_type=detail_type))


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"shared EventBridge samples not found at {SAMPLES}")
@pytest.mark.parametrize("name", sorted(SAMPLE_EXPECTATIONS))
def test_shared_aws_samples_reach_the_expected_families(bus: Bus, name: str) -> None:
    path: Path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} is not in this copy of the shared samples")
    sample = json.loads(path.read_text())
    assert bus.deliver(sample) == SAMPLE_EXPECTATIONS[name]
