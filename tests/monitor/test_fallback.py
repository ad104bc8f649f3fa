"""A Slack outage no longer fails medium invocations: the alert falls back to SNS, exactly once.

Medium routes to Slack only. The event is the CI user's routine ``PutObject`` recorded in an
account the model does not list, which makes one medium finding (``identity-undeclared-account``).
Both backends, moto's SNS topic and (for the unset webhook) moto's SSM.
"""

from __future__ import annotations

import logging

import pytest
from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

from chalicelib.errors import DeliveryError
from chalicelib.notify import WebhookSlackSender, ssm_webhook_url

from .conftest import Rig, ScriptedSlack, envelope, redelivered, story_lines, with_changes

UNDECLARED_ACCOUNT = "111122223333"
RULE = "identity-undeclared-account"


def activity_in_an_undeclared_account() -> dict:
    put = next(r for r in story_lines("07-routine-activity.jsonl") if r["eventName"] == "PutObject")
    return envelope(with_changes(put, recipientAccountId=UNDECLARED_ACCOUNT, eventID="5d0c1f7e-fallback-0001"))


def test_a_medium_finding_lands_on_sns_when_slack_is_down(rig: Rig) -> None:
    result = rig.monitor(ScriptedSlack(down=True)).process_envelope(activity_in_an_undeclared_account())
    assert [(h.finding.rule, h.finding.severity.label) for h in result.handled] == [(RULE, "medium")]
    assert [n["body"]["rule"] for n in rig.topic.received()] == [RULE]
    assert result.alert_fallbacks == 1
    assert result.summary()["findings"][0] | {"incident_id": None} == {
        "rule": RULE, "severity": "medium", "status": "new", "incident_id": None, "alerted": ["sns"],
        "fallback": "sns"}


def test_a_medium_finding_that_reached_slack_does_not_go_to_sns(rig: Rig) -> None:
    slack = ScriptedSlack()
    result = rig.monitor(slack).process_envelope(activity_in_an_undeclared_account())
    assert len(slack.delivered) == 1 and rig.topic.received() == []
    assert result.alert_fallbacks == 0


def test_a_medium_finding_with_slack_and_sns_down_fails_the_invocation(rig: Rig) -> None:
    rig.topic.take_down()
    mon = rig.monitor(ScriptedSlack(down=True))
    with pytest.raises(DeliveryError, match=RULE):
        mon.process_envelope(activity_in_an_undeclared_account())
    assert [i.rule for i in mon.store.iter_all()] == [RULE]  # stored, and kept for the retry


def test_a_medium_alert_delivered_by_the_fallback_is_not_sent_again_on_redelivery(rig: Rig) -> None:
    slack = ScriptedSlack(down=True)
    mon = rig.monitor(slack)
    event = activity_in_an_undeclared_account()
    mon.process_envelope(event)
    slack.down = False
    again = mon.process_envelope(redelivered(event))
    assert slack.delivered == [] and len(rig.topic.received()) == 1
    assert again.summary()["findings"][0]["alerted"] == []


def test_the_retry_after_slack_and_sns_failed_delivers_through_the_fallback_once(rig: Rig) -> None:
    slack = ScriptedSlack(down=True)
    mon = rig.monitor(slack)
    rig.topic.take_down()
    with pytest.raises(DeliveryError):
        mon.process_envelope(activity_in_an_undeclared_account())
    rig.topic.restore()
    retry = mon.process_envelope(activity_in_an_undeclared_account())  # Lambda retries; Slack still down
    assert retry.alert_fallbacks == 1 and len(rig.topic.received()) == 1
    mon.process_envelope(redelivered(activity_in_an_undeclared_account()))
    assert rig.topic.received() == []


def test_a_webhook_parameter_not_set_yet_is_skipped_with_a_warning_and_medium_goes_to_sns(
    rig: Rig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    monkeypatch.delitem(DEFAULT_PROVIDERS, "ssm", raising=False)  # Powertools' SSM client, made under this mock
    slack = WebhookSlackSender(ssm_webhook_url("/trailwarden/monitor-test/slack-webhook-url"))
    result = rig.monitor(slack).process_envelope(activity_in_an_undeclared_account())  # does not raise
    assert [n["body"]["rule"] for n in rig.topic.received()] == [RULE]
    assert result.handled[0].delivery.skipped == ("slack",) and result.alert_fallbacks == 1
    assert "/trailwarden/monitor-test/slack-webhook-url does not exist yet" in caplog.text
