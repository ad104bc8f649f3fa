"""Slack and SNS faults under the monitor: the real webhook sender against local sockets that
fail, and the real SNS publisher over a botocore-stubbed client (both backends).

Expected behaviour (README, Reliability): a failed channel is counted and the alert goes on
through the others (a medium alert, routed to Slack only, falls back to SNS); Slack never
waits past the invocation; only when nothing delivered does the invocation fail, and its
retry sends each alert exactly once.
"""

from __future__ import annotations

import time

import pytest
from botocore.stub import Stubber

from chalicelib.errors import DeliveryError
from chalicelib.notify import SnsPublisher, WebhookSlackSender

from .conftest import REGION, SESSION, Rig, envelope, redelivered, story, story_lines, with_changes
from .faults import CountingSlack, broken_slack


def root_signin() -> dict:
    return story("01-root-console-signin.eventbridge.json")  # critical: Slack and SNS


def medium() -> dict:
    """The CI user's PutObject in an account the model does not list: medium, Slack only."""
    put = next(r for r in story_lines("07-routine-activity.jsonl") if r["eventName"] == "PutObject")
    return envelope(with_changes(put, recipientAccountId="111122223333", eventID="5d0c1f7e-faults-0001"))


def webhook(url: str, left: float = 60, timeout: int = 2) -> WebhookSlackSender:
    return WebhookSlackSender(lambda: url, timeout=timeout, time_left=lambda: left)


def sns_failing(rig: Rig, code: str, times: int = 1) -> SnsPublisher:
    client = SESSION.client("sns", region_name=REGION)
    stubber = Stubber(client)
    for _ in range(times):
        stubber.add_client_error("publish", service_error_code=code, service_message="injected", http_status_code=400)
    stubber.activate()
    return SnsPublisher(rig.topic.arn, client=client)


@pytest.mark.parametrize("mode", ["status", "hang"])
def test_a_broken_slack_on_a_critical_route_still_alerts_through_sns_once(rig: Rig, mode: str) -> None:
    with broken_slack(mode, status=500, hold=3) as (url, _):
        result = rig.monitor(webhook(url, timeout=1)).process_envelope(root_signin())
        rig.monitor(webhook(url, timeout=1)).process_envelope(redelivered(root_signin()))
    assert ([h.delivery.delivered for h in result.handled], len(rig.topic.received())) == ([("sns",)], 1)


@pytest.mark.parametrize("mode", ["status", "reset", "hang"])
def test_a_broken_slack_on_a_medium_route_falls_back_to_sns_once(rig: Rig, mode: str) -> None:
    with broken_slack(mode, status=500, hold=3) as (url, _):
        result = rig.monitor(webhook(url, timeout=1)).process_envelope(medium())
        rig.monitor(webhook(url, timeout=1)).process_envelope(redelivered(medium()))
    assert (result.alert_fallbacks, len(rig.topic.received())) == (1, 1)


def test_a_429_storm_asking_for_longer_than_the_lambda_has_left_falls_back_at_once(rig: Rig) -> None:
    started = time.monotonic()
    with broken_slack("status", status=429, headers={"Retry-After": "30"}) as (url, taken):
        result = rig.monitor(webhook(url, left=12)).process_envelope(medium())
    assert (len(taken), result.alert_fallbacks, len(rig.topic.received())) == (1, 1, 1)
    assert time.monotonic() - started < 5


def test_sns_throttled_on_a_critical_route_still_alerts_through_slack_and_is_not_retried(rig: Rig) -> None:
    slack = CountingSlack()
    result = rig.monitor(slack, sns=sns_failing(rig, "Throttling")).process_envelope(root_signin())
    rig.monitor(slack).process_envelope(redelivered(root_signin()))
    (handled,) = result.handled
    assert (handled.delivery.delivered, list(handled.delivery.failed), len(slack.delivered)) == (("slack",),
                                                                                                 ["sns"], 1)


@pytest.mark.parametrize("code", ["Throttling", "KMSAccessDenied"])
def test_sns_failing_while_slack_is_down_fails_the_invocation_with_the_incident_stored(rig: Rig, code: str) -> None:
    with pytest.raises(DeliveryError, match=code):
        rig.monitor(CountingSlack(fail_first=5), sns=sns_failing(rig, code)).process_envelope(root_signin())
    assert len(rig.open_store().iter_all()) == 1


@pytest.mark.parametrize("code", ["Throttling", "KMSAccessDenied"])
def test_the_retry_once_sns_is_back_sends_the_alert_once_on_each_channel(rig: Rig, code: str) -> None:
    slack = CountingSlack(fail_first=1)
    with pytest.raises(DeliveryError):
        rig.monitor(slack, sns=sns_failing(rig, code)).process_envelope(root_signin())
    for _ in range(2):
        rig.clock.advance(seconds=61)
        rig.monitor(slack).process_envelope(redelivered(root_signin()))
    assert (len(slack.delivered), len(rig.topic.received())) == (1, 1)


def test_a_medium_alert_with_slack_down_and_sns_throttled_is_sent_once_by_the_retry(rig: Rig) -> None:
    slack = CountingSlack(fail_first=1)
    with pytest.raises(DeliveryError):
        rig.monitor(slack, sns=sns_failing(rig, "Throttling")).process_envelope(medium())
    rig.clock.advance(seconds=61)
    rig.monitor(slack).process_envelope(redelivered(medium()))
    rig.monitor(slack).process_envelope(redelivered(medium()))
    assert (len(slack.delivered), len(rig.topic.received())) == (1, 0)
