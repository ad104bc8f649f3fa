"""Slack webhook delivery against a real local HTTP server; the URL must never leak."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from chalicelib.errors import ChannelNotConfigured, DeliveryError
from chalicelib.notify.slack import (
    CapturingSlackSender,
    SlackSender,
    WebhookSlackSender,
    default_retry_handlers,
    ssm_webhook_url,
)

from .conftest import WEBHOOK_PATH, ScriptedWebhook

PAYLOAD = {"text": "hello", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}]}
SECRET = WEBHOOK_PATH.rsplit("/", 1)[1]


def sender_for(
    hook: ScriptedWebhook, *, rate_limit_retries: int = 2, connection_retries: int = 2
) -> WebhookSlackSender:
    handlers = default_retry_handlers(rate_limit_retries=rate_limit_retries, connection_retries=connection_retries)
    return WebhookSlackSender(lambda: hook.url, timeout=5, retry_handlers=handlers)


def assert_no_url(text: str, hook: ScriptedWebhook) -> None:
    assert hook.url not in text
    assert SECRET not in text


def test_a_200_answer_delivers_the_payload(slack_webhook: ScriptedWebhook) -> None:
    sender_for(slack_webhook).send(PAYLOAD)
    assert slack_webhook.accepted == [PAYLOAD]


def test_a_429_with_retry_after_is_retried_and_delivered_once(slack_webhook: ScriptedWebhook) -> None:
    slack_webhook.answer(429, "rate_limited", {"Retry-After": "0"})
    sender_for(slack_webhook).send(PAYLOAD)
    assert len(slack_webhook.requests) == 2
    assert slack_webhook.accepted == [PAYLOAD]


def test_a_429_that_outlasts_the_retry_budget_raises_naming_the_status(slack_webhook: ScriptedWebhook) -> None:
    for _ in range(3):
        slack_webhook.answer(429, "rate_limited", {"Retry-After": "0"})
    with pytest.raises(DeliveryError, match="HTTP 429"):
        sender_for(slack_webhook, rate_limit_retries=1).send(PAYLOAD)
    assert len(slack_webhook.requests) == 2
    assert slack_webhook.accepted == []


def test_a_long_retry_after_fails_fast_instead_of_sleeping_through_the_lambda(slack_webhook: ScriptedWebhook) -> None:
    slack_webhook.answer(429, "rate_limited", {"Retry-After": "3600"})
    with pytest.raises(DeliveryError, match="HTTP 429"):
        sender_for(slack_webhook).send(PAYLOAD)
    assert len(slack_webhook.requests) == 1


@pytest.mark.parametrize(("status", "body"), [(500, "internal_error"), (404, "no_service")])
def test_an_error_status_raises_delivery_error_naming_status_and_body_but_not_the_url(
    slack_webhook: ScriptedWebhook, status: int, body: str
) -> None:
    slack_webhook.answer(status, body)
    with pytest.raises(DeliveryError) as caught:
        sender_for(slack_webhook).send(PAYLOAD)
    assert f"HTTP {status}: {body}" in str(caught.value)
    assert_no_url(str(caught.value), slack_webhook)
    for linked in (caught.value.__cause__, caught.value.__context__):  # a chained error must not carry it either
        assert_no_url(repr(linked), slack_webhook)


def test_an_error_body_that_echoes_the_url_is_scrubbed(slack_webhook: ScriptedWebhook) -> None:
    slack_webhook.answer(400, f"invalid_payload for {WEBHOOK_PATH}")
    with pytest.raises(DeliveryError) as caught:
        sender_for(slack_webhook).send(PAYLOAD)
    assert "HTTP 400: invalid_payload for" in str(caught.value)
    assert_no_url(str(caught.value), slack_webhook)


def test_an_unreachable_webhook_raises_delivery_error_without_the_url(slack_webhook: ScriptedWebhook) -> None:
    dead_url = "http://127.0.0.1:9" + WEBHOOK_PATH  # the discard port: nothing listens there
    sender = WebhookSlackSender(lambda: dead_url, timeout=2, retry_handlers=default_retry_handlers(1, 0))
    with pytest.raises(DeliveryError, match="request failed") as caught:
        sender.send(PAYLOAD)
    assert dead_url not in str(caught.value) and SECRET not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_no_log_record_ever_contains_the_webhook_url(
    slack_webhook: ScriptedWebhook, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    slack_webhook.answer(429, "rate_limited", {"Retry-After": "0"})
    slack_webhook.answer(500, "internal_error")
    sender = sender_for(slack_webhook)
    with pytest.raises(DeliveryError):
        sender.send(PAYLOAD)
    sender.send(PAYLOAD)
    assert SECRET not in caplog.text


def test_the_webhook_url_is_not_read_until_the_first_send(slack_webhook: ScriptedWebhook) -> None:
    calls: list[str] = []

    def provider() -> str:
        calls.append("read")
        return slack_webhook.url

    sender = WebhookSlackSender(provider)
    assert calls == []
    sender.send(PAYLOAD)
    assert calls == ["read"]


def test_a_failing_url_provider_becomes_a_delivery_error() -> None:
    def provider() -> str:
        raise RuntimeError("ParameterNotFound")

    with pytest.raises(DeliveryError, match="could not read the Slack webhook URL: RuntimeError: ParameterNotFound"):
        WebhookSlackSender(provider).send(PAYLOAD)


@pytest.mark.parametrize("url", ["http://hooks.slack.com/services/T/B/x", "ftp://example.com/x", "not a url"])
def test_a_webhook_url_that_is_not_https_is_refused_without_being_echoed(url: str) -> None:
    with pytest.raises(DeliveryError, match="not an https URL") as caught:
        WebhookSlackSender(lambda: url).send(PAYLOAD)
    assert url not in str(caught.value)


def test_the_ssm_provider_reads_the_decrypted_secure_string(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    monkeypatch.delitem(DEFAULT_PROVIDERS, "ssm", raising=False)  # no client from another mock
    boto3.client("ssm").put_parameter(
        Name="/trailwarden/slack-webhook-url", Value="https://hooks.slack.com/services/T/B/s3cr3t", Type="SecureString"
    )
    assert ssm_webhook_url("/trailwarden/slack-webhook-url")() == "https://hooks.slack.com/services/T/B/s3cr3t"


def test_a_missing_ssm_parameter_is_not_configured_at_send_time_not_at_construction(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    monkeypatch.delitem(DEFAULT_PROVIDERS, "ssm", raising=False)
    sender = WebhookSlackSender(ssm_webhook_url("/trailwarden/missing"))
    with pytest.raises(ChannelNotConfigured, match="parameter /trailwarden/missing does not exist yet"):
        sender.send(PAYLOAD)


def test_an_empty_webhook_url_is_not_configured() -> None:
    with pytest.raises(ChannelNotConfigured, match="empty"):
        WebhookSlackSender(lambda: "  ").send(PAYLOAD)


def test_the_capturing_sender_records_each_payload_as_sent() -> None:
    sender = CapturingSlackSender()
    payload = {"text": "one"}
    sender.send(payload)
    payload["text"] = "changed later"
    assert sender.payloads == [{"text": "one"}]


def test_both_senders_satisfy_the_slack_sender_protocol(slack_webhook: ScriptedWebhook) -> None:
    senders: list[Callable[[], object]] = [CapturingSlackSender, lambda: sender_for(slack_webhook)]
    assert all(isinstance(make(), SlackSender) for make in senders)
    assert not isinstance(object(), SlackSender)
