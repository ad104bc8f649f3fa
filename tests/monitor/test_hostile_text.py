"""Text that is valid JSON but not valid UTF-8 once parsed: a lone surrogate escape (``"\\udcff"``).

Lambda's runtime parses the EventBridge event with Python's json, which turns the escape into a
str no store or hash can encode. Found by the fuzz tests: such an event failed on every retry.
"""

from __future__ import annotations

from .conftest import Rig, redelivered, story

REPLACEMENT = "\ufffd"


def root_signin_with_agent(agent: str) -> dict:
    env = story("01-root-console-signin.eventbridge.json")
    env["detail"]["userAgent"] = agent
    return env


def test_an_event_with_a_lone_surrogate_is_stored_with_the_replacement_character(rig: Rig) -> None:
    (handled,) = rig.monitor().process_envelope(root_signin_with_agent("Mozilla\udcff/5.0")).handled
    assert handled.outcome.status == "new"
    assert REPLACEMENT in (rig.open_store().get(handled.outcome.incident.incident_id).finding.user_agent or "")


def test_an_event_with_a_lone_surrogate_is_alerted_once(rig: Rig) -> None:
    mon = rig.monitor()
    mon.process_envelope(root_signin_with_agent("a\ud800b"))
    mon.process_envelope(redelivered(root_signin_with_agent("a\ud800b")))
    assert (len(mon.notifier.slack.delivered), len(rig.topic.received())) == (1, 1)


def test_an_event_without_surrogates_is_passed_on_unchanged(rig: Rig) -> None:
    (handled,) = rig.monitor().process_envelope(root_signin_with_agent("Mozilla/5.0 é 🙂")).handled
    assert rig.open_store().get(handled.outcome.incident.incident_id).finding.user_agent == "Mozilla/5.0 é 🙂"
