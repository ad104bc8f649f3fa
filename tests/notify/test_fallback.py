"""The fallback policy: an alert no routed channel delivered goes to SNS, and is counted.

Medium findings route to Slack only, so without a fallback a Slack outage (or a webhook
parameter not set yet) would fail every medium invocation for hours. Slack senders and SNS
publishers are injected; SNS and SSM are moto's, with an SQS queue reading what SNS delivered.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

from chalicelib.errors import DeliveryError
from chalicelib.findings import Finding, Severity
from chalicelib.notify import (
    AlertContext,
    CapturingSlackSender,
    Notifier,
    Routing,
    SnsPublisher,
    WebhookSlackSender,
    default_retry_handlers,
    ssm_webhook_url,
)
from chalicelib.settings import Settings

from .conftest import WEBHOOK_PATH, ScriptedWebhook

MakeFinding = Callable[..., Finding]
FALLBACK = ("AlertFallbacks", MetricUnit.Count, 1)


class DownSlack:
    """Slack during an outage."""

    def send(self, payload: dict[str, Any]) -> None:
        raise DeliveryError("Slack webhook answered HTTP 503: service_unavailable")


class DownSns:
    def __init__(self) -> None:
        self.calls = 0

    def publish_finding(self, finding: Finding, context: AlertContext | None = None) -> str:
        self.calls += 1
        raise DeliveryError("SNS publish to arn:aws:sns:us-east-1:123456789012:alerts failed: InternalError")


class RecordingMetrics:
    def __init__(self) -> None:
        self.metrics: list[tuple[str, Any, float]] = []

    def add_metric(self, name: str, unit: Any, value: float, resolution: int = 60) -> None:
        self.metrics.append((name, unit, value))


class Topic:
    """A moto SNS topic with an SQS queue subscribed, to read back what SNS delivered."""

    def __init__(self) -> None:
        sns, self.sqs = boto3.client("sns"), boto3.client("sqs")
        self.arn = sns.create_topic(Name="trailwarden-alerts")["TopicArn"]
        self.queue = self.sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])
        sns.subscribe(TopicArn=self.arn, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])

    def rules(self) -> list[str]:
        messages = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(json.loads(m["Body"])["Message"])["rule"] for m in messages]


@pytest.fixture
def topic(aws: None) -> Topic:
    return Topic()


@pytest.fixture
def unset_webhook(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookSlackSender]:
    """The deployed Slack sender before anyone ran ``put-parameter``: moto's SSM has no such parameter."""
    monkeypatch.delitem(DEFAULT_PROVIDERS, "ssm", raising=False)  # no SSM client left from another mock
    yield WebhookSlackSender(ssm_webhook_url("/trailwarden/test/slack-webhook-url-not-set"))


def medium(make_finding: MakeFinding) -> Finding:
    return make_finding(rule="identity-undeclared-account", severity=Severity.MEDIUM)


# -- Slack down --------------------------------------------------------------------------------
def test_a_medium_finding_lands_on_sns_when_slack_is_down(make_finding: MakeFinding, topic: Topic) -> None:
    metrics = RecordingMetrics()
    notifier = Notifier(Routing.default(), DownSlack(), SnsPublisher(topic.arn), metrics=metrics)
    report = notifier.notify(medium(make_finding))
    assert report.fallback == "sns" and report.delivered == ("sns",)
    assert topic.rules() == ["identity-undeclared-account"]
    assert FALLBACK in metrics.metrics


def test_a_medium_finding_that_reached_slack_does_not_fall_back(make_finding: MakeFinding, topic: Topic) -> None:
    metrics = RecordingMetrics()
    notifier = Notifier(Routing.default(), CapturingSlackSender(), SnsPublisher(topic.arn), metrics=metrics)
    report = notifier.notify(medium(make_finding))
    assert report.fallback is None and report.delivered == ("slack",)
    assert topic.rules() == [] and metrics.metrics == []


def test_the_slack_failure_behind_a_fallback_is_still_counted(make_finding: MakeFinding, topic: Topic) -> None:
    metrics = RecordingMetrics()
    Notifier(Routing.default(), DownSlack(), SnsPublisher(topic.arn), metrics=metrics).notify(medium(make_finding))
    assert ("SlackDeliveryFailures", MetricUnit.Count, 1) in metrics.metrics
    assert [name for name, _, _ in metrics.metrics].count("AlertDeliveryFailures") == 1


def test_when_slack_and_the_sns_fallback_both_fail_notify_raises(make_finding: MakeFinding) -> None:
    metrics = RecordingMetrics()
    with pytest.raises(DeliveryError, match="every channel failed for identity-undeclared-account") as caught:
        Notifier(Routing.default(), DownSlack(), DownSns(), metrics=metrics).notify(medium(make_finding))
    report = caught.value.report  # type: ignore[attr-defined]
    assert report.fallback == "sns" and report.delivered == () and set(report.failed) == {"slack", "sns"}
    assert FALLBACK not in metrics.metrics


def test_a_route_whose_sns_leg_failed_does_not_try_sns_again(make_finding: MakeFinding) -> None:
    sns = DownSns()
    with pytest.raises(DeliveryError):
        Notifier(Routing.default(), DownSlack(), sns).notify(make_finding(severity=Severity.CRITICAL))
    assert sns.calls == 1


def test_the_fallback_logs_never_show_the_webhook_url(make_finding: MakeFinding, topic: Topic,
                                                      slack_webhook: ScriptedWebhook,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    slack_webhook.answer(500, f"internal_error at {slack_webhook.url}")
    slack = WebhookSlackSender(lambda: slack_webhook.url, retry_handlers=default_retry_handlers())
    report = Notifier(Routing.default(), slack, SnsPublisher(topic.arn)).notify(medium(make_finding))
    assert report.fallback == "sns" and "falling back to sns" in caplog.text
    assert WEBHOOK_PATH not in caplog.text and WEBHOOK_PATH not in report.failed["slack"]


# -- the webhook parameter not set yet ------------------------------------------------------------
def test_a_webhook_parameter_not_set_yet_is_a_logged_skip_and_medium_goes_to_sns(
    make_finding: MakeFinding, topic: Topic, unset_webhook: WebhookSlackSender, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="chalicelib.notify.notifier")
    metrics = RecordingMetrics()
    report = Notifier(Routing.default(), unset_webhook, SnsPublisher(topic.arn), metrics=metrics).notify(
        medium(make_finding))
    assert report.skipped == ("slack",) and report.failed == {}
    assert report.fallback == "sns" and topic.rules() == ["identity-undeclared-account"]
    assert "slack-webhook-url-not-set does not exist yet" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert metrics.metrics == [FALLBACK]  # a skip is not a delivery failure


def test_a_webhook_parameter_not_set_yet_with_no_topic_is_a_skip_not_an_error(
    make_finding: MakeFinding, unset_webhook: WebhookSlackSender, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="chalicelib.notify.notifier")
    report = Notifier(Routing.default(), unset_webhook, None).notify(medium(make_finding))
    assert report.attempted == () and report.delivered == () and report.fallback is None
    assert "was sent nowhere" in caplog.text


def test_a_set_webhook_parameter_is_used_and_nothing_falls_back(
    make_finding: MakeFinding, topic: Topic, slack_webhook: ScriptedWebhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(DEFAULT_PROVIDERS, "ssm", raising=False)
    boto3.client("ssm").put_parameter(Name="/trailwarden/test/slack-webhook-url-set", Value=slack_webhook.url,
                                      Type="SecureString")
    slack = WebhookSlackSender(ssm_webhook_url("/trailwarden/test/slack-webhook-url-set"))
    report = Notifier(Routing.default(), slack, SnsPublisher(topic.arn)).notify(medium(make_finding))
    assert report.delivered == ("slack",) and report.fallback is None
    assert len(slack_webhook.accepted) == 1 and topic.rules() == []


def test_an_empty_webhook_parameter_name_leaves_slack_unconfigured() -> None:
    built = Notifier.from_settings(Settings(slack_webhook_parameter=" ", topic_arn="arn:aws:sns:us-east-1:1:t"))
    assert built.slack is None and built.sns is not None
