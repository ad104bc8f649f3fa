"""A grouped incident that grows after it was resolved reopens, and a new alert says so."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from chalicelib.engine import Engine
from chalicelib.identity import load_model
from chalicelib.incidents import open_store
from chalicelib.incidents.state import SQLiteStateStore
from chalicelib.monitor import Monitor
from chalicelib.notify import CapturingSlackSender, Notifier, Routing

from .conftest import Clock
from .test_suppression import EVENT_TIME, denied


def make(tmp_path: Path, buttons: bool = False) -> tuple[Monitor, CapturingSlackSender]:
    slack = CapturingSlackSender()
    tmp_path.mkdir(exist_ok=True)
    url = f"sqlite:///{tmp_path / 'log.db'}"
    notifier = Notifier(Routing.parse(None), slack, None, buttons=buttons)
    monitor = Monitor(Engine(load_model()), open_store(url), notifier, state=SQLiteStateStore(str(tmp_path / "log.db")),
                      clock=Clock(EVENT_TIME + timedelta(minutes=1)))
    return monitor, slack


def test_growth_after_resolution_alerts_again_saying_reopened(tmp_path: Path) -> None:
    monitor, slack = make(tmp_path)
    [first] = monitor.process_event(denied(0)).handled
    assert first.outcome.incident is not None
    monitor.store.triage(first.outcome.incident.incident_id, "resolve", "jared", resolution="expected")
    [again] = monitor.process_event(denied(1)).handled
    assert again.outcome.reopened is True
    assert len(slack.payloads) == 2 and "REOPENED" in slack.payloads[1]["text"]


def test_growth_while_acknowledged_sends_nothing_new(tmp_path: Path) -> None:
    monitor, slack = make(tmp_path)
    [first] = monitor.process_event(denied(0)).handled
    assert first.outcome.incident is not None
    monitor.store.triage(first.outcome.incident.incident_id, "ack", "jared")
    monitor.process_event(denied(1))
    assert len(slack.payloads) == 1


def test_alerts_carry_triage_buttons_only_when_a_slack_app_is_set_up(tmp_path: Path) -> None:
    with_app, slack = make(tmp_path / "a", buttons=True)
    without, plain = make(tmp_path / "b")
    for monitor in (with_app, without):
        monitor.process_event(denied(0))
    [actions] = [b for b in slack.payloads[0]["blocks"] if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == ["triage-ack", "triage-resolve-expected",
                                                            "triage-false-positive"]
    assert not [b for b in plain.payloads[0]["blocks"] if b["type"] == "actions"]
