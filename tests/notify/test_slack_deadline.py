"""Slack never waits past the Lambda invocation: a Retry-After, a reset or a timeout that would
outlast the time left fails the send at once, so the notifier can still fall back to SNS."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from chalicelib import deadline
from chalicelib.errors import DeliveryError
from chalicelib.notify.slack import WebhookSlackSender

from .conftest import ScriptedWebhook
from .faulty_servers import hanging_server, resetting_server

PAYLOAD = {"text": "hello"}


def sender(url: str, left: float, timeout: int = 5) -> WebhookSlackSender:
    return WebhookSlackSender(lambda: url, timeout=timeout, time_left=lambda: left)


def test_a_retry_after_longer_than_the_time_left_fails_without_waiting(slack_webhook: ScriptedWebhook) -> None:
    slack_webhook.answer(429, "rate_limited", {"Retry-After": "5"})
    started = time.monotonic()
    with pytest.raises(DeliveryError, match="HTTP 429"):
        sender(slack_webhook.url, left=3).send(PAYLOAD)
    assert (len(slack_webhook.requests), time.monotonic() - started < 2) == (1, True)


def test_a_retry_after_within_the_time_left_is_waited_for_and_delivered(slack_webhook: ScriptedWebhook) -> None:
    slack_webhook.answer(429, "rate_limited", {"Retry-After": "1"})
    sender(slack_webhook.url, left=30).send(PAYLOAD)
    assert slack_webhook.accepted == [PAYLOAD]


def test_a_429_storm_is_given_up_after_the_retry_budget(slack_webhook: ScriptedWebhook) -> None:
    for _ in range(10):
        slack_webhook.answer(429, "rate_limited", {"Retry-After": "0"})
    with pytest.raises(DeliveryError, match="HTTP 429"):
        sender(slack_webhook.url, left=30).send(PAYLOAD)
    assert len(slack_webhook.requests) == 3  # the first try and two retries


def test_with_under_a_second_left_slack_is_not_called(slack_webhook: ScriptedWebhook) -> None:
    with pytest.raises(DeliveryError, match="no time left"):
        sender(slack_webhook.url, left=0.5).send(PAYLOAD)
    assert slack_webhook.requests == []


def test_a_reset_connection_is_retried_while_there_is_time() -> None:
    with resetting_server() as (url, connections), pytest.raises(DeliveryError, match="request failed"):
        sender(url, left=60).send(PAYLOAD)
    assert len(connections) == 3


def test_a_reset_connection_is_not_retried_when_another_attempt_would_not_fit() -> None:
    with resetting_server() as (url, connections), pytest.raises(DeliveryError, match="request failed"):
        sender(url, left=3).send(PAYLOAD)
    assert len(connections) == 1


def test_a_hanging_slack_is_given_at_most_the_time_left() -> None:
    started = time.monotonic()
    with hanging_server(hold=5) as (url, _), pytest.raises(DeliveryError, match="request failed"):
        sender(url, left=1.5, timeout=10).send(PAYLOAD)
    assert time.monotonic() - started < 3


def test_the_deadline_is_the_lambda_time_left_less_the_reserve() -> None:
    with deadline.within(SimpleNamespace(get_remaining_time_in_millis=lambda: 20_000)):
        assert deadline.time_left() == 20 - deadline.RESERVE_SECONDS


def test_after_the_handler_returns_its_deadline_no_longer_applies() -> None:
    with deadline.within(SimpleNamespace(get_remaining_time_in_millis=lambda: 0)):
        pass
    assert deadline.time_left() == float("inf")


def test_without_a_lambda_context_there_is_no_deadline() -> None:
    with deadline.within(None):
        assert deadline.time_left() == float("inf")
