"""SNS delivery: one JSON message per finding, with attributes subscribers can filter on.

Subscribers filter by ``severity``, ``rule`` (the public rule ids of DESIGN §5) and
``account``; e-mail subscribers read the Subject. The boto3 client is created on first use
so that importing this module (CLI, tests) needs no AWS configuration and moto can be
started before any client exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from chalicelib.errors import ConfigError, DeliveryError
from chalicelib.findings import Finding
from chalicelib.notify.message import AlertContext, redact, sns_attributes, sns_message, sns_subject

# botocore reads "max_attempts" here as retries after the first call: up to 6 calls in all.
RETRY_CONFIG: dict[str, Any] = {"mode": "standard", "max_attempts": 5}


@runtime_checkable
class FindingPublisher(Protocol):
    """What the notifier needs from an SNS channel; SnsPublisher is the real one."""

    def publish_finding(self, finding: Finding, context: AlertContext | None = None) -> str: ...


def _region_of(topic_arn: str) -> str:
    parts = topic_arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] != "sns" or not parts[3] or not parts[5]:
        raise ConfigError(f"not an SNS topic ARN: {topic_arn!r}", location="TRAILWARDEN_TOPIC_ARN")
    return parts[3]


class SnsPublisher:
    """Publishes findings to one topic; the client is built lazily with standard retries."""

    def __init__(self, topic_arn: str, client: Any | None = None) -> None:
        self.topic_arn = topic_arn
        self.region = _region_of(topic_arn)  # a topic in another region still works
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.client("sns", region_name=self.region, config=Config(retries=dict(RETRY_CONFIG)))
        return self._client

    def publish(self, *, subject: str, message: str, attributes: Mapping[str, str | None] | None = None) -> str:
        """Publish one message and return its MessageId; empty attribute values are skipped."""
        from botocore.exceptions import BotoCoreError, ClientError

        message_attributes = {
            name: {"DataType": "String", "StringValue": value} for name, value in (attributes or {}).items() if value
        }
        try:
            response = self.client.publish(
                TopicArn=self.topic_arn, Subject=subject, Message=message, MessageAttributes=message_attributes
            )
        except ClientError as err:
            error = err.response.get("Error", {})
            code, text = error.get("Code", "ClientError"), error.get("Message", "")
            raise DeliveryError(f"SNS publish to {self.topic_arn} failed: {code}: {redact(text)}") from err
        except BotoCoreError as err:
            raise DeliveryError(f"SNS publish to {self.topic_arn} failed: {redact(str(err))}") from err
        message_id = response.get("MessageId")
        if not message_id:
            raise DeliveryError(f"SNS publish to {self.topic_arn} returned no MessageId")
        return str(message_id)

    def publish_finding(self, finding: Finding, context: AlertContext | None = None) -> str:
        """Subject + JSON body + severity/rule/account attributes for one finding."""
        return self.publish(
            subject=sns_subject(finding, context),
            message=sns_message(finding, context),
            attributes=sns_attributes(finding),
        )
