"""A grouped incident alerts once when it opens and once more, with its final count, when it closes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chalicelib.engine import Engine
from chalicelib.events import CloudTrailEvent
from chalicelib.identity import load_model
from chalicelib.incidents import open_store
from chalicelib.incidents.state import SQLiteStateStore
from chalicelib.monitor import Monitor
from chalicelib.notify import CapturingSlackSender, Notifier, Routing

from .conftest import STORY, Clock

T0 = datetime(2026, 11, 19, 22, 14, 9, tzinfo=UTC)


def burst(monitor: Monitor, n: int) -> None:
    base = json.loads((STORY / "06-ci-assume-role-denied.json").read_text())
    for i in range(n):
        when = (T0 + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        record = dict(base, eventID=f"burst-{i:03d}", eventTime=when)
        monitor.process_event(CloudTrailEvent.from_record(record))


def make(tmp_path: Path, clock: Clock) -> tuple[Monitor, CapturingSlackSender]:
    slack = CapturingSlackSender()
    url = f"sqlite:///{tmp_path / 'log.db'}"
    monitor = Monitor(Engine(load_model()), open_store(url), Notifier(Routing.parse(None), slack, None),
                      state=SQLiteStateStore(str(tmp_path / "log.db")), clock=clock)
    return monitor, slack


def test_burst_sends_one_message_while_open_and_one_with_the_count_on_close(tmp_path: Path) -> None:
    clock = Clock(T0 + timedelta(minutes=1))
    monitor, slack = make(tmp_path, clock)
    burst(monitor, 20)
    assert len(slack.payloads) == 1
    clock.now = T0 + timedelta(hours=2)
    closed = monitor.close_groups(timedelta(hours=1))
    assert len(closed) == 1 and len(slack.payloads) == 2
    assert "seen 20 times" in slack.payloads[1]["text"]


def test_group_still_inside_its_window_is_not_closed(tmp_path: Path) -> None:
    clock = Clock(T0 + timedelta(minutes=1))
    monitor, slack = make(tmp_path, clock)
    burst(monitor, 5)
    assert monitor.close_groups(timedelta(hours=1)) == []
    assert len(slack.payloads) == 1


def test_closed_group_is_not_announced_twice(tmp_path: Path) -> None:
    clock = Clock(T0 + timedelta(minutes=1))
    monitor, slack = make(tmp_path, clock)
    burst(monitor, 3)
    clock.now = T0 + timedelta(hours=3)
    monitor.close_groups(timedelta(hours=1))
    assert monitor.close_groups(timedelta(hours=1)) == []
    assert len(slack.payloads) == 2


def test_group_with_a_threshold_alerts_when_its_count_reaches_it(tmp_path: Path) -> None:
    clock = Clock(T0 + timedelta(minutes=1))
    monitor, slack = make(tmp_path, clock)
    monitor.thresholds = {"sts-assume-role-failed": 5}
    burst(monitor, 4)
    assert slack.payloads == []
    base = json.loads((STORY / "06-ci-assume-role-denied.json").read_text())
    record = dict(base, eventID="burst-fifth", eventTime="2026-11-19T22:15:00Z")
    monitor.process_event(CloudTrailEvent.from_record(record))
    assert len(slack.payloads) == 1


def test_threshold_setting_reads_rule_counts() -> None:
    from chalicelib.settings import parse_thresholds

    assert parse_thresholds("sts-assume-role-failed=5; root-signin-failed=3") == {
        "sts-assume-role-failed": 5, "root-signin-failed": 3}


def test_threshold_setting_rejects_a_malformed_entry() -> None:
    import pytest

    from chalicelib.errors import ConfigError
    from chalicelib.settings import parse_thresholds

    with pytest.raises(ConfigError):
        parse_thresholds("sts-assume-role-failed=often")


def test_group_whose_severity_rises_alerts_again(tmp_path: Path) -> None:
    clock = Clock(T0)
    monitor, slack = make(tmp_path, clock)
    read = json.loads((STORY / "03-root-reads-agent-secret.json").read_text())
    refused = dict(read, eventID="read-refused", errorCode="AccessDenied", errorMessage="denied")
    monitor.process_event(CloudTrailEvent.from_record(refused))  # medium: a refused read
    monitor.process_event(CloudTrailEvent.from_record(dict(read, eventID="read-ok")))  # high: it worked
    secret_alerts = [p for p in slack.payloads if "secret-read-undeclared" in p["text"]]
    assert [p["text"].split("]")[0] for p in secret_alerts] == ["[MEDIUM", "[HIGH"]
