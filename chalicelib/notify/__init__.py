"""Alerts to Slack and SNS, routed by severity (DESIGN §2, §5, §8)."""

from chalicelib.notify.message import (
    AlertContext,
    console_url,
    fallback_text,
    redact,
    redact_value,
    slack_payload,
    sns_attributes,
    sns_body,
    sns_message,
    sns_subject,
)
from chalicelib.notify.notifier import DeliveryReport, MetricsSink, Notifier
from chalicelib.notify.routing import CHANNELS, DEFAULT_ROUTES, Routing
from chalicelib.notify.slack import (
    CappedRateLimitRetryHandler,
    CapturingSlackSender,
    SlackSender,
    WebhookSlackSender,
    default_retry_handlers,
    ssm_webhook_url,
)
from chalicelib.notify.sns import FindingPublisher, SnsPublisher

__all__ = [
    "CHANNELS",
    "DEFAULT_ROUTES",
    "AlertContext",
    "CappedRateLimitRetryHandler",
    "CapturingSlackSender",
    "DeliveryReport",
    "FindingPublisher",
    "MetricsSink",
    "Notifier",
    "Routing",
    "SlackSender",
    "SnsPublisher",
    "WebhookSlackSender",
    "console_url",
    "default_retry_handlers",
    "fallback_text",
    "redact",
    "redact_value",
    "slack_payload",
    "sns_attributes",
    "sns_body",
    "sns_message",
    "sns_subject",
    "ssm_webhook_url",
]
