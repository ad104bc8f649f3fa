"""The process dies between "incident stored" and "alert sent"; the event is delivered again.

The first alert attempt after the store commit raises ``ProcessKilled`` (a Lambda timeout or
kill: no clean-up runs, the alert claim is not released). Lambda retries a failed async
invocation after a minute or more, past the claim's 45 s; a duplicate EventBridge delivery
can also arrive while the claim still holds. Either way the alert goes out exactly once.
"""

from __future__ import annotations

import pytest

from .conftest import Rig, SnsTopic, redelivered, story
from .faults import CountingSlack, ProcessKilled


def root_signin() -> dict:
    return story("01-root-console-signin.eventbridge.json")


def killed_once(rig: Rig) -> tuple[CountingSlack, dict]:
    """A monitor whose first Slack send kills the process, after the incident was stored."""
    slack = CountingSlack(fail_first=1, error=lambda: ProcessKilled("Task timed out after 60.00 seconds"))
    event = root_signin()
    with pytest.raises(ProcessKilled):
        rig.monitor(slack).process_envelope(event)
    return slack, event


def alerts(slack: CountingSlack, topic: SnsTopic) -> tuple[int, int]:
    return len(slack.delivered), len(topic.received())


def test_the_incident_is_stored_before_the_process_dies(rig: Rig) -> None:
    killed_once(rig)
    assert len(rig.open_store().iter_all()) == 1


def test_the_lambda_retry_after_the_death_sends_the_alert_once(rig: Rig) -> None:
    slack, event = killed_once(rig)
    rig.clock.advance(seconds=61)  # Lambda's first retry of a failed async invocation
    retry = rig.monitor(slack).process_envelope(redelivered(event))
    assert [h.outcome.status for h in retry.handled] == ["duplicate"]
    assert alerts(slack, rig.topic) == (1, 1)


def test_a_duplicate_delivery_while_the_claim_holds_sends_nothing_and_the_retry_sends_once(rig: Rig) -> None:
    slack, event = killed_once(rig)
    rig.clock.advance(seconds=10)
    rig.monitor(slack).process_envelope(redelivered(event))
    assert alerts(slack, rig.topic) == (0, 0)
    rig.clock.advance(seconds=60)
    rig.monitor(slack).process_envelope(redelivered(event))
    assert alerts(slack, rig.topic) == (1, 1)


def test_further_deliveries_after_the_alert_went_out_send_nothing(rig: Rig) -> None:
    slack, event = killed_once(rig)
    for _ in range(3):
        rig.clock.advance(seconds=61)
        rig.monitor(slack).process_envelope(redelivered(event))
    assert alerts(slack, rig.topic) == (1, 1)
