"""SNS publishing through moto: subject, JSON body and filterable attributes reach subscribers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from chalicelib.errors import ConfigError, DeliveryError
from chalicelib.findings import Finding, Severity
from chalicelib.notify.message import AlertContext
from chalicelib.notify.sns import SnsPublisher

MakeFinding = Callable[..., Finding]


def subscribed_queue(topic_arn: str, filter_policy: dict[str, Any] | None = None) -> str:
    """An SQS queue subscribed to the topic with the standard SNS envelope (not raw)."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName=f"q{len(sqs.list_queues().get('QueueUrls', []))}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    attributes = {"RawMessageDelivery": "false"}
    if filter_policy is not None:
        attributes["FilterPolicy"] = json.dumps(filter_policy)
    boto3.client("sns", region_name="us-east-1").subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes=attributes
    )
    return queue_url


def received(queue_url: str) -> list[dict[str, Any]]:
    messages = boto3.client("sqs", region_name="us-east-1").receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
    )
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


@pytest.fixture
def topic_arn(aws: None) -> str:
    return boto3.client("sns", region_name="us-east-1").create_topic(Name="trailwarden-alerts")["TopicArn"]


def test_a_published_finding_reaches_a_subscriber_with_subject_body_and_attributes(
    topic_arn: str, make_finding: MakeFinding
) -> None:
    queue_url = subscribed_queue(topic_arn)
    finding = make_finding()
    message_id = SnsPublisher(topic_arn).publish_finding(finding, AlertContext(count=2, incident_id="inc-7"))

    [envelope] = received(queue_url)
    assert envelope["MessageId"] == message_id
    assert envelope["Subject"] == "[CRITICAL] root-api-use: Root user called GetParameter (x2)"
    body = json.loads(envelope["Message"])
    assert body["principal_arn"] == "arn:aws:iam::630287363158:root"
    assert body["breaks"] == "Paperclip agents lose API access"
    assert (body["count"], body["incident_id"]) == (2, "inc-7")
    attributes = {name: (a["Type"], a["Value"]) for name, a in envelope["MessageAttributes"].items()}
    assert attributes == {
        "severity": ("String", "critical"),
        "rule": ("String", "root-api-use"),
        "account": ("String", "630287363158"),
    }


def test_an_empty_account_is_left_out_of_the_message_attributes(topic_arn: str, make_finding: MakeFinding) -> None:
    queue_url = subscribed_queue(topic_arn)
    SnsPublisher(topic_arn).publish_finding(make_finding(account=None))
    [envelope] = received(queue_url)
    assert set(envelope["MessageAttributes"]) == {"severity", "rule"}


def test_a_subscription_filtering_on_severity_receives_a_matching_finding(
    topic_arn: str, make_finding: MakeFinding
) -> None:
    queue_url = subscribed_queue(topic_arn, {"severity": ["critical"]})
    SnsPublisher(topic_arn).publish_finding(make_finding(severity=Severity.CRITICAL))
    assert len(received(queue_url)) == 1


def test_a_subscription_filtering_on_severity_does_not_receive_other_severities(
    topic_arn: str, make_finding: MakeFinding
) -> None:
    queue_url = subscribed_queue(topic_arn, {"severity": ["critical"]})
    SnsPublisher(topic_arn).publish_finding(make_finding(severity=Severity.MEDIUM))
    assert received(queue_url) == []


def test_publishing_to_a_missing_topic_raises_delivery_error_naming_the_topic(
    aws: None, make_finding: MakeFinding
) -> None:
    missing = "arn:aws:sns:us-east-1:123456789012:no-such-topic"
    with pytest.raises(DeliveryError, match="no-such-topic"):
        SnsPublisher(missing).publish_finding(make_finding())


def test_the_client_is_created_on_first_use_with_standard_retries(topic_arn: str) -> None:
    publisher = SnsPublisher(topic_arn)
    retries = publisher.client.meta.config.retries
    # botocore reads retries["max_attempts"]=5 as five retries after the first call.
    assert (retries["mode"], retries["total_max_attempts"]) == ("standard", 6)
    assert publisher.client.meta.region_name == "us-east-1"


def test_an_injected_client_is_used_instead_of_creating_one(make_finding: MakeFinding) -> None:
    class RecordingClient:
        def __init__(self) -> None:
            self.calls: list[dict[str, Any]] = []

        def publish(self, **kwargs: Any) -> dict[str, str]:
            self.calls.append(kwargs)
            return {"MessageId": "m-1"}

    client = RecordingClient()
    publisher = SnsPublisher("arn:aws:sns:eu-west-1:123456789012:alerts", client=client)
    assert publisher.publish_finding(make_finding()) == "m-1"
    assert client.calls[0]["TopicArn"] == "arn:aws:sns:eu-west-1:123456789012:alerts"


@pytest.mark.parametrize("arn", ["", "trailwarden-alerts", "arn:aws:sqs:us-east-1:123456789012:q"])
def test_a_value_that_is_not_an_sns_topic_arn_is_a_config_error(arn: str) -> None:
    with pytest.raises(ConfigError, match="not an SNS topic ARN"):
        SnsPublisher(arn)
