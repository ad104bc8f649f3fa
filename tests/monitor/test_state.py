"""The monitor's operational state (alert ledger, last seen) on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.incidents.state import ALERTED, LAST_SEEN, DynamoDBStateStore

from .conftest import REGION, SESSION, TABLE, Rig

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_a_once_only_marker_keeps_its_first_time(rig: Rig) -> None:
    state = rig.open_state()
    assert state.touch(ALERTED, "inc-1", T0) is True
    assert rig.open_state().touch(ALERTED, "inc-1", T0 + timedelta(hours=5)) is False
    assert rig.open_state().get(ALERTED, "inc-1") == T0


def test_an_interval_marker_moves_only_after_the_interval(rig: Rig) -> None:
    state = rig.open_state()
    state.touch(LAST_SEEN, "github-actions", T0, timedelta(hours=1))
    assert rig.open_state().touch(LAST_SEEN, "github-actions", T0 + timedelta(minutes=59), timedelta(hours=1)) is False
    assert rig.open_state().touch(LAST_SEEN, "github-actions", T0 + timedelta(hours=1), timedelta(hours=1)) is True
    assert rig.open_state().get(LAST_SEEN, "github-actions") == T0 + timedelta(hours=1)


def test_an_entry_keeps_its_note(rig: Rig) -> None:
    rig.open_state().touch("key-created", "arn:aws:iam::630287363158:user/ci", T0, note="…Q2A inc-1")
    assert rig.open_state().entry("key-created", "arn:aws:iam::630287363158:user/ci") == (T0, "…Q2A inc-1")


def test_an_unknown_marker_is_none(rig: Rig) -> None:
    state = rig.open_state()
    state.touch(ALERTED, "inc-1", T0)
    assert state.get(ALERTED, "inc-2") is None and state.entry(ALERTED, "inc-2") is None


def test_kinds_do_not_mix(rig: Rig) -> None:
    state = rig.open_state()
    state.touch(ALERTED, "github-actions", T0)
    assert state.get(LAST_SEEN, "github-actions") is None
    assert state.all(ALERTED) == {"github-actions": T0}


@pytest.mark.parametrize("rig", ["dynamodb"], indirect=True)
def test_looking_up_one_alert_marker_reads_one_item_consistently_however_long_the_ledger(
        rig: Rig) -> None:
    # Every redelivered event asks "was this incident alerted?": that must not read the whole ledger,
    # and must see a marker another container has just written.
    writer = rig.open_state()
    for i in range(120):
        writer.touch(ALERTED, f"inc-{i:03d}", T0)
    dynamodb_calls: list[tuple[str, dict]] = []
    client = SESSION.client("dynamodb", region_name=REGION)
    client.meta.events.register(
        "before-parameter-build.dynamodb", lambda model, params, **_: dynamodb_calls.append((model.name, params)))
    reader = DynamoDBStateStore(TABLE, client=client)
    assert reader.get(ALERTED, "inc-077") == T0
    assert [name for name, _ in dynamodb_calls] == ["GetItem"]
    assert dynamodb_calls[0][1].get("ConsistentRead") is True

