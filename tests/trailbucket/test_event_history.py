"""``replay --event-history``: CloudTrail LookupEvents, paged, paced and judged oldest first.

moto does not implement CloudTrail's ``LookupEvents``, so these tests put botocore's ``Stubber``
on real CloudTrail clients: the answers have LookupEvents' real shape (``Events`` newest first,
each with its record as a JSON *string* in ``CloudTrailEvent``, and ``NextToken`` between pages),
and the stubber checks every request's parameters against botocore's service model.
"""

from __future__ import annotations

import argparse
import itertools
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.engine import Engine
from chalicelib.errors import ConfigError, InputError
from chalicelib.events import CloudTrailEvent
from chalicelib.identity import load_model
from chalicelib.parallel import judge_batches
from chalicelib.trailbucket.eventhistory import (
    EventHistory,
    Pacer,
    client_config,
    default_regions,
    from_args,
    period,
)
from chalicelib.trailbucket.s3read import Skips

RECORDS = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "records"
START = datetime(2026, 11, 20, tzinfo=UTC)
END = datetime(2026, 11, 20, 23, 59, 59, tzinfo=UTC)


def record(name: str, minute: int, region: str) -> dict[str, Any]:
    rec = json.loads((RECORDS / f"{name}.json").read_text())
    rec.update(eventTime=f"2026-11-20T10:{minute:02d}:00Z", awsRegion=region, eventID=f"{name}-{region}")
    return rec


def entry(rec: dict[str, Any]) -> dict[str, Any]:
    """One element of LookupEvents' ``Events``, as CloudTrail answers it."""
    return {"EventId": rec["eventID"], "EventName": rec["eventName"], "ReadOnly": "false",
            "EventTime": datetime.fromisoformat(rec["eventTime"].replace("Z", "+00:00")),
            "EventSource": rec["eventSource"], "Username": "jared", "Resources": [],
            "CloudTrailEvent": json.dumps(rec)}


class FakeClock:
    """Time that passes only when slept: the pacing is checked without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.calls: list[float] = []  # the clock at each LookupEvents request

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def pacer(self) -> Pacer:
        return Pacer(clock=self.clock, sleep=self.sleep)


def stubbed(region: str, pages: list[list[dict[str, Any]]], start: datetime = START, end: datetime = END,
            clock: FakeClock | None = None) -> tuple[Any, Stubber]:
    client = boto3.client("cloudtrail", region_name=region, aws_access_key_id="testing",
                          aws_secret_access_key="testing", config=client_config())
    if clock is not None:
        client.meta.events.register("before-parameter-build.cloudtrail.LookupEvents",
                                    lambda **_: clock.calls.append(clock.now))
    stub = Stubber(client)
    for n, events in enumerate(pages):
        expected: dict[str, Any] = {"StartTime": start, "EndTime": end, "MaxResults": 50}
        if n:
            expected["NextToken"] = f"token-{n}"
        answer: dict[str, Any] = {"Events": [entry(r) for r in reversed(events)]}  # newest first
        if n + 1 < len(pages):
            answer["NextToken"] = f"token-{n + 1}"
        stub.add_response("lookup_events", answer, expected)
    stub.activate()
    return client, stub


def items(history: EventHistory) -> list[Any]:
    return [i for batch in history.batches() for i in batch.items]


def test_events_come_from_every_page_and_region_oldest_first() -> None:
    east = [record("root-console-signin-success", 1, "us-east-1"), record("create-access-key", 3, "us-east-1")]
    west = [record("delete-user", 2, "eu-west-1")]
    clients = {"us-east-1": stubbed("us-east-1", [east[1:], east[:1]])[0], "eu-west-1": stubbed("eu-west-1", [west])[0]}
    got = items(EventHistory(clients, START, END, Skips(print), pacer=FakeClock().pacer()))
    assert [e.event_id for e in got] == [east[0]["eventID"], west[0]["eventID"], east[1]["eventID"]]


def test_every_stubbed_request_was_made_with_the_window_and_page_size() -> None:
    client, stub = stubbed("us-east-1", [[record("delete-user", 1, "us-east-1")], [record("create-user", 2,
                                                                                          "us-east-1")]])
    items(EventHistory({"us-east-1": client}, START, END, Skips(print), pacer=FakeClock().pacer()))
    stub.assert_no_pending_responses()


def test_one_region_is_never_asked_more_than_twice_a_second() -> None:
    clock = FakeClock()
    pages = [[record("delete-user", n, "us-east-1")] for n in range(5)]
    client, _ = stubbed("us-east-1", pages, clock=clock)
    items(EventHistory({"us-east-1": client}, START, END, Skips(print), pacer=clock.pacer()))
    gaps = [b - a for a, b in itertools.pairwise(clock.calls)]
    assert len(clock.calls) == 5 and min(gaps) >= 0.5


def test_two_regions_are_paced_each_on_its_own() -> None:
    clock = FakeClock()
    clients = {r: stubbed(r, [[record("delete-user", 1, r)]], clock=clock)[0] for r in ("us-east-1", "eu-west-1")}
    items(EventHistory(clients, START, END, Skips(print), pacer=clock.pacer()))
    assert clock.calls == [0.0, 0.0]


def test_the_clients_retry_in_adaptive_mode() -> None:
    assert client_config().retries["mode"] == "adaptive"


def test_a_day_is_one_window_and_windows_never_overlap() -> None:
    history = EventHistory({}, START, START + timedelta(days=2, hours=3), Skips(print))
    windows = list(history.windows())
    assert len(windows) == 3
    assert all(b[0] - a[1] == timedelta(seconds=1) for a, b in itertools.pairwise(windows))


def test_a_cloudtrailevent_that_is_not_json_is_named_and_the_others_are_judged() -> None:
    good = record("delete-user", 2, "us-east-1")
    broken = entry(record("create-user", 1, "us-east-1")) | {"CloudTrailEvent": "{not json"}
    client = boto3.client("cloudtrail", region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    stub = Stubber(client)
    stub.add_response("lookup_events", {"Events": [entry(good), broken]})
    stub.activate()
    got = items(EventHistory({"us-east-1": client}, START, END, Skips(print), pacer=FakeClock().pacer()))
    assert isinstance(got[0], InputError) and "event-history:us-east-1:create-user-us-east-1" in str(got[0])
    assert isinstance(got[1], CloudTrailEvent) and got[1].event_id == good["eventID"]


def test_a_region_denied_is_named_and_the_other_regions_are_read() -> None:
    said: list[str] = []
    denied = boto3.client("cloudtrail", region_name="eu-west-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    stub = Stubber(denied)
    stub.add_client_error("lookup_events", "AccessDeniedException", "not authorized")
    stub.activate()
    ok, _ = stubbed("us-east-1", [[record("delete-user", 1, "us-east-1")]])
    skips = Skips(said.append)
    got = items(EventHistory({"eu-west-1": denied, "us-east-1": ok}, START, END, skips, pacer=FakeClock().pacer()))
    assert [e.event_id for e in got] == ["delete-user-us-east-1"]
    assert skips.denied == ["event history in eu-west-1"] and "AccessDeniedException" in said[0]


def test_findings_are_those_of_replay_on_the_same_records(tmp_path: Path) -> None:
    recs = [record("root-console-signin-success", 1, "us-east-1"), record("create-access-key", 2, "us-east-1")]
    client, _ = stubbed("us-east-1", [recs])
    model = load_model(None)
    history = EventHistory({"us-east-1": client}, START, END, Skips(print), pacer=FakeClock().pacer())
    from_history = [f for j in judge_batches(Engine(model), history.batches()) for _, fs in j.hits for f in fs]
    from_records = [f for rec in recs for f in Engine(model).judge(CloudTrailEvent.from_record(rec))]
    assert [(f.rule, f.event_id) for f in from_history] == [(f.rule, f.event_id) for f in from_records]
    assert from_history


def test_since_further_back_than_90_days_is_refused_pointing_at_the_bucket() -> None:
    with pytest.raises(ConfigError, match="replay s3://"):
        period("91d", None, date(2026, 12, 3), datetime(2026, 12, 3, 12, tzinfo=UTC))


def test_the_period_defaults_to_90_days_up_to_now() -> None:
    now = datetime(2026, 12, 3, 12, tzinfo=UTC)
    assert period(None, None, now.date(), now) == (datetime(2026, 9, 4, tzinfo=UTC), now)


def test_the_default_regions_are_the_current_one_and_us_east_1() -> None:
    assert default_regions("eu-west-1") == ("eu-west-1", "us-east-1")
    assert default_regions("us-east-1") == ("us-east-1",)


def test_accounts_do_not_apply_to_event_history() -> None:
    args = argparse.Namespace(regions="us-east-1", accounts="111111111111", since=None, until=None)
    with pytest.raises(ConfigError, match="--accounts"):
        from_args(args, Skips(print), make_client=lambda r: None)


def test_the_cli_refuses_more_than_90_days_in_one_line(capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.cli import main

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert main(["replay", "--event-history", "--since", "120d"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --since: Event history keeps 90 days") and err.count("\n") == 1
