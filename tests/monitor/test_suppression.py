"""Suppressions in the monitor: a matching finding is stored, marked with its entry, and never alerted.

The model is the bundled one plus a ``suppressions:`` entry for the CI user's failed
AssumeRole (the seed story's 06 event); the monitor's clock decides whether it has expired.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chalicelib.engine import Engine
from chalicelib.events import CloudTrailEvent
from chalicelib.identity.loader import DEFAULT_MODEL, parse_model
from chalicelib.incidents import IncidentQuery, open_store
from chalicelib.incidents.queue import suppression_of, triaged
from chalicelib.incidents.state import SQLiteStateStore
from chalicelib.monitor import Monitor
from chalicelib.notify import CapturingSlackSender, Notifier, Routing

from .conftest import CI_USER_ARN, STORY, Clock

EVENT_TIME = datetime(2026, 11, 19, 22, 14, 9, tzinfo=UTC)


def model_with(entry: str):  # type: ignore[no-untyped-def]
    text = DEFAULT_MODEL.read_text(encoding="utf-8") + "\nsuppressions:\n" + entry
    return parse_model(text, source="model.yaml")


def entry(expires: datetime, principal: str = CI_USER_ARN) -> str:
    return (f"  - rule: sts-assume-role-failed\n    principal: \"{principal}\"\n"
            f"    reason: vendor scanner probes nightly\n    owner: jared\n    expires: {expires:%Y-%m-%d}\n")


def denied(n: int) -> CloudTrailEvent:
    base = json.loads((STORY / "06-ci-assume-role-denied.json").read_text(encoding="utf-8"))
    when = (EVENT_TIME + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return CloudTrailEvent.from_record(dict(base, eventID=f"denied-{n:03d}", eventTime=when))


def rig(tmp_path: Path, model_entry: str, now: datetime) -> tuple[Monitor, CapturingSlackSender, Clock]:
    slack, clock = CapturingSlackSender(), Clock(now)
    url = f"sqlite:///{tmp_path / 'log.db'}"
    monitor = Monitor(Engine(model_with(model_entry)), open_store(url), Notifier(Routing.parse(None), slack, None),
                      state=SQLiteStateStore(str(tmp_path / "log.db")), clock=clock)
    return monitor, slack, clock


def in_days(days: int) -> datetime:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=days)


def test_a_suppressed_finding_is_stored_marked_and_not_alerted(tmp_path: Path) -> None:
    monitor, slack, _ = rig(tmp_path, entry(in_days(30)), now=in_days(0))
    [handled] = monitor.process_event(denied(0)).handled
    assert handled.outcome.status == "new" and slack.payloads == []
    incident = handled.outcome.incident
    assert incident is not None
    marker = suppression_of(incident)
    assert marker is not None and (marker["index"], marker["owner"]) == (0, "jared")


def test_suppressed_incidents_are_listed_only_when_asked(tmp_path: Path) -> None:
    monitor, _, _ = rig(tmp_path, entry(in_days(30)), now=in_days(0))
    monitor.process_event(denied(0))
    query = IncidentQuery(limit=100)
    assert list(triaged(monitor.store, query)) == []
    assert [i.rule for i, _ in triaged(monitor.store, query, suppressed=True)] == ["sts-assume-role-failed"]


def test_an_expired_suppression_stops_matching(tmp_path: Path) -> None:
    monitor, slack, clock = rig(tmp_path, entry(in_days(30)), now=in_days(29))
    monitor.process_event(denied(0))
    assert slack.payloads == []
    clock.now = in_days(30)  # 00:00 UTC on the day it expires
    [handled] = monitor.process_event(denied(1)).handled
    assert handled.outcome.incident is not None and suppression_of(handled.outcome.incident) is None
    assert len(slack.payloads) == 1


def test_a_suppression_for_another_principal_does_not_match(tmp_path: Path) -> None:
    other = "arn:aws:iam::111122223333:role/VendorScanner*"
    monitor, slack, _ = rig(tmp_path, entry(in_days(30), principal=other), now=in_days(0))
    monitor.process_event(denied(0))
    assert len(slack.payloads) == 1


def test_a_suppressed_group_sends_no_closing_update(tmp_path: Path) -> None:
    monitor, slack, clock = rig(tmp_path, entry(in_days(30)), now=in_days(0))
    for n in range(3):
        monitor.process_event(denied(n))
    clock.now = in_days(0) + timedelta(hours=3)
    assert monitor.close_groups(timedelta(hours=1), lookback=timedelta(days=60)) == []
    assert slack.payloads == []
