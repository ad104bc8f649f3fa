"""The notifier: routing by severity, one channel's failure never silences another."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.metrics import MetricUnit

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
)
from chalicelib.settings import Settings

from .conftest import ScriptedWebhook

MakeFinding = Callable[..., Finding]
KEY = "AKIAIOSFODNN7EXAMPLE"


class FailingSlack:
    def __init__(self, message: str = "Slack webhook answered HTTP 500: internal_error") -> None:
        self.message = message
        self.calls = 0

    def send(self, payload: dict[str, Any]) -> None:
        self.calls += 1
        raise DeliveryError(self.message)


class RecordingSns:
    def __init__(self) -> None:
        self.published: list[tuple[Finding, AlertContext | None]] = []

    def publish_finding(self, finding: Finding, context: AlertContext | None = None) -> str:
        self.published.append((finding, context))
        return f"msg-{len(self.published)}"


class FailingSns:
    def publish_finding(self, finding: Finding, context: AlertContext | None = None) -> str:
        raise DeliveryError("SNS publish to arn:aws:sns:us-east-1:1:t failed: InternalError: boom")


class RecordingMetrics:
    def __init__(self) -> None:
        self.metrics: list[tuple[str, Any, float]] = []

    def add_metric(self, name: str, unit: Any, value: float, resolution: int = 60) -> None:
        self.metrics.append((name, unit, value))


def notifier(slack: Any = None, sns: Any = None, metrics: Any = None, routing: str = "") -> Notifier:
    return Notifier(Routing.parse(routing), slack, sns, metrics=metrics)


def test_a_critical_finding_goes_to_slack_and_sns(make_finding: MakeFinding) -> None:
    slack, sns = CapturingSlackSender(), RecordingSns()
    report = notifier(slack, sns).notify(make_finding(), count=2, incident_id="inc-1", account_name="management")
    assert report.delivered == ("slack", "sns") and report.ok
    assert report.sns_message_id == "msg-1"
    assert "management (630287363158)" in slack.payloads[0]["text"]
    assert sns.published[0][1] == AlertContext(count=2, incident_id="inc-1", account_name="management")


def test_a_slack_failure_does_not_stop_sns(make_finding: MakeFinding) -> None:
    sns = RecordingSns()
    report = notifier(FailingSlack(), sns).notify(make_finding())
    assert len(sns.published) == 1
    assert report.attempted == ("slack", "sns")
    assert report.delivered == ("sns",)
    assert report.failed == {"slack": "Slack webhook answered HTTP 500: internal_error"}
    assert not report.ok


def test_a_delivery_failure_is_counted_in_metrics(make_finding: MakeFinding) -> None:
    metrics = RecordingMetrics()
    notifier(FailingSlack(), RecordingSns(), metrics).notify(make_finding())
    assert ("AlertDeliveryFailures", MetricUnit.Count, 1) in metrics.metrics
    assert ("SlackDeliveryFailures", MetricUnit.Count, 1) in metrics.metrics


def test_a_successful_delivery_records_no_failure_metric(make_finding: MakeFinding) -> None:
    metrics = RecordingMetrics()
    notifier(CapturingSlackSender(), RecordingSns(), metrics).notify(make_finding())
    assert metrics.metrics == []


def test_a_broken_metrics_object_does_not_lose_the_alert(make_finding: MakeFinding) -> None:
    class BrokenMetrics:
        def add_metric(self, name: str, unit: Any, value: float) -> None:
            raise ValueError("bad dimension")

    sns = RecordingSns()
    report = notifier(FailingSlack(), sns, BrokenMetrics()).notify(make_finding())
    assert report.delivered == ("sns",)


def test_when_every_routed_channel_fails_notify_raises_so_the_event_is_retried(make_finding: MakeFinding) -> None:
    with pytest.raises(DeliveryError, match="every channel failed for root-api-use") as caught:
        notifier(FailingSlack(), FailingSns()).notify(make_finding())
    assert "slack: Slack webhook answered HTTP 500" in str(caught.value)
    assert "sns: SNS publish" in str(caught.value)
    assert caught.value.report.failed.keys() == {"slack", "sns"}  # type: ignore[attr-defined]


def test_when_only_some_channels_fail_notify_returns_a_report(make_finding: MakeFinding) -> None:
    report = notifier(CapturingSlackSender(), FailingSns()).notify(make_finding())
    assert report.delivered == ("slack",) and set(report.failed) == {"sns"}


def test_an_unexpected_sender_exception_is_a_channel_failure_not_a_crash(make_finding: MakeFinding) -> None:
    class BuggySlack:
        def send(self, payload: dict[str, Any]) -> None:
            raise KeyError("blocks")

    report = notifier(BuggySlack(), RecordingSns()).notify(make_finding())
    assert report.failed["slack"] == "unexpected KeyError: 'blocks'"
    assert report.delivered == ("sns",)


def test_a_medium_finding_goes_only_to_slack(make_finding: MakeFinding) -> None:
    slack, sns = CapturingSlackSender(), RecordingSns()
    report = notifier(slack, sns).notify(make_finding(severity=Severity.MEDIUM))
    assert report.delivered == ("slack",)
    assert len(slack.payloads) == 1 and sns.published == []


def test_a_low_finding_is_logged_and_sent_nowhere(make_finding: MakeFinding, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="chalicelib.notify.notifier")
    slack, sns = CapturingSlackSender(), RecordingSns()
    report = notifier(slack, sns).notify(make_finding(severity=Severity.LOW, rule="iam-create-access-key"))
    assert slack.payloads == [] and sns.published == []
    assert report.attempted == () and report.ok
    assert "iam-create-access-key (low) is log-only" in caplog.text


def test_custom_routing_can_send_low_findings_to_sns(make_finding: MakeFinding) -> None:
    sns = RecordingSns()
    report = notifier(CapturingSlackSender(), sns, routing="low=sns").notify(make_finding(severity=Severity.LOW))
    assert report.delivered == ("sns",)


def test_a_routed_but_unconfigured_channel_is_warned_about_once_and_not_attempted(
    make_finding: MakeFinding, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="chalicelib.notify.notifier")
    slack = CapturingSlackSender()
    subject = notifier(slack, None)
    first = subject.notify(make_finding())
    subject.notify(make_finding())
    assert first.skipped == ("sns",) and first.attempted == ("slack",) and first.ok
    assert caplog.text.count("channel sns is routed but not configured") == 1


def test_no_configured_channel_at_all_is_not_a_delivery_failure(make_finding: MakeFinding) -> None:
    report = notifier(None, None).notify(make_finding())
    assert report.attempted == () and report.skipped == ("slack", "sns")


def test_failure_logs_mask_access_keys(make_finding: MakeFinding, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    report = notifier(FailingSlack(f"HTTP 400: bad key {KEY}"), RecordingSns()).notify(make_finding())
    assert KEY not in caplog.text and KEY not in report.failed["slack"]
    assert "…MPLE" in caplog.text


def test_from_settings_builds_nothing_that_touches_aws_until_a_send(make_finding: MakeFinding) -> None:
    built = Notifier.from_settings(Settings(topic_arn="arn:aws:sns:us-east-1:123456789012:alerts", routing="high=sns"))
    assert built.routing.channels_for(Severity.HIGH) == ("sns",)
    assert isinstance(built.slack, WebhookSlackSender) and isinstance(built.sns, SnsPublisher)


def test_from_settings_leaves_out_slack_when_disabled_and_sns_without_a_topic() -> None:
    built = Notifier.from_settings(Settings(slack_enabled=False, topic_arn=None))
    assert built.slack is None and built.sns is None


def test_end_to_end_a_failing_webhook_still_lets_the_sns_alert_through(
    aws: None, slack_webhook: ScriptedWebhook, make_finding: MakeFinding
) -> None:
    sns_client, sqs = boto3.client("sns"), boto3.client("sqs")
    topic_arn = sns_client.create_topic(Name="alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns_client.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    slack_webhook.answer(500, "internal_error")
    slack = WebhookSlackSender(lambda: slack_webhook.url, retry_handlers=default_retry_handlers())
    metrics = RecordingMetrics()

    report = Notifier(Routing.default(), slack, SnsPublisher(topic_arn), metrics=metrics).notify(make_finding())

    assert report.delivered == ("sns",) and "HTTP 500" in report.failed["slack"]
    [message] = sqs.receive_message(QueueUrl=queue_url)["Messages"]
    assert json.loads(json.loads(message["Body"])["Message"])["rule"] == "root-api-use"
    assert ("AlertDeliveryFailures", MetricUnit.Count, 1) in metrics.metrics
