"""The heartbeat and monitor-blind, through the monitor the Lambda runs (SQLite store, injected clock and Slack)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from chalicelib.engine import Engine
from chalicelib.errors import ConfigError
from chalicelib.events import CloudTrailEvent, events_in
from chalicelib.findings import Severity
from chalicelib.identity import load_model
from chalicelib.incidents import open_store
from chalicelib.incidents.state import SQLiteStateStore
from chalicelib.monitor import Monitor
from chalicelib.notify import Notifier, Routing
from chalicelib.notify.slack import CapturingSlackSender
from chalicelib.watch.heartbeat import HEARTBEAT_KIND, is_heartbeat
from chalicelib.watch.liveness import LivenessConfig, open_episodes, run_check

RECORDS = Path(__file__).resolve().parents[1] / "fixtures" / "records"
HOME = "630287363158/us-east-1"
START = datetime(2026, 11, 20, 13, 0, 2, tzinfo=UTC)  # the fixture heartbeat's event time
CONFIG = LivenessConfig(expected=frozenset({HOME}))


def heartbeat(**changes: Any) -> CloudTrailEvent:
    record = json.loads((RECORDS / "ssm-heartbeat-put-parameter.json").read_text())
    record.update(changes)
    (event,) = events_in(record)
    assert isinstance(event, CloudTrailEvent)
    return event


class AppendOnlyState(SQLiteStateStore):
    """The deployed handlers' roles have no dynamodb:DeleteItem: deleting state must never be needed."""

    def _delete(self, kind: str, name: str) -> None:
        raise AssertionError(f"deleted state {kind}/{name}")


class Rig:
    """A monitor on SQLite with a hand-moved clock and a Slack sender that keeps what it got."""

    def __init__(self, tmp_path: Path) -> None:
        self.now = START
        self.slack = CapturingSlackSender()
        url = f"sqlite:///{tmp_path / 'incidents.db'}"
        self.monitor = Monitor(Engine(load_model(None)), open_store(url), Notifier(Routing.default(), self.slack, None),
                               state=AppendOnlyState(str(tmp_path / "incidents.db")), clock=lambda: self.now)

    def check(self, after: timedelta, config: LivenessConfig = CONFIG) -> dict[str, Any]:
        self.now = START + after
        return run_check(self.monitor, config, self.now)

    def blind_incidents(self) -> list[Any]:
        return [i for i in self.monitor.store.iter_all() if i.rule == "monitor-blind"]


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path)


def test_a_heartbeat_is_noted_and_never_an_incident(rig: Rig) -> None:
    result = rig.monitor.process_event(heartbeat())
    assert result.handled == ()
    assert rig.monitor.state.get(HEARTBEAT_KIND, HOME) == START
    assert list(rig.monitor.store.iter_all()) == [] and rig.slack.payloads == []


def test_a_heartbeat_without_invoked_by_is_still_not_an_incident(rig: Rig) -> None:
    event = heartbeat()
    identity = {k: v for k, v in event.user_identity.items() if k != "invokedBy"}
    assert rig.monitor.process_event(heartbeat(userIdentity=identity)).handled == ()


def test_root_writing_the_heartbeat_parameter_is_judged_as_root(rig: Rig) -> None:
    root = {"type": "Root", "principalId": "630287363158", "arn": "arn:aws:iam::630287363158:root",
            "accountId": "630287363158", "accessKeyId": "ASIAZ7TW0ROOTEXAMPLE"}
    event = heartbeat(userIdentity=root)
    assert not is_heartbeat(event)
    assert "root-api-use" in {h.finding.rule for h in rig.monitor.process_event(event).handled}


def _issued_by(role_arn: str, session: str = "9f2c4e6a") -> dict[str, Any]:
    """The fixture's heartbeat identity, as a session of ``role_arn`` (what AWS writes for it)."""
    identity = heartbeat().user_identity
    account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[1]
    issuer = {**identity["sessionContext"]["sessionIssuer"], "arn": role_arn, "userName": name, "accountId": account}
    return {**identity, "arn": f"arn:aws:sts::{account}:assumed-role/{name}/{session}", "accountId": account,
            "sessionContext": {**identity["sessionContext"], "sessionIssuer": issuer}}


def test_another_role_writing_the_heartbeat_parameter_is_judged_and_still_noted(rig: Rig) -> None:
    event = heartbeat(userIdentity=_issued_by("arn:aws:iam::630287363158:role/ops-automation"))
    rules = {h.finding.rule for h in rig.monitor.process_event(event).handled}
    assert "identity-undeclared-principal" in rules
    assert rig.monitor.state.get(HEARTBEAT_KIND, HOME) == START  # a recorded write still proves the path


def test_a_role_merely_named_like_the_heartbeat_role_under_another_path_is_judged(rig: Rig) -> None:
    event = heartbeat(userIdentity=_issued_by("arn:aws:iam::630287363158:role/x/trailwarden-prod-heartbeat"))
    assert rig.monitor.process_event(event).handled != ()


def test_the_heartbeat_role_of_another_stage_is_judged(rig: Rig) -> None:
    event = heartbeat(userIdentity=_issued_by("arn:aws:iam::630287363158:role/trailwarden-dev-heartbeat"))
    assert rig.monitor.process_event(event).handled != ()


def test_the_heartbeat_role_of_another_account_is_judged(rig: Rig) -> None:
    event = heartbeat(userIdentity=_issued_by("arn:aws:iam::111122223333:role/trailwarden-prod-heartbeat"))
    assert rig.monitor.process_event(event).handled != ()


def test_the_heartbeat_role_is_matched_ignoring_case_as_iam_does(rig: Rig) -> None:
    event = heartbeat(userIdentity=_issued_by("arn:aws:iam::630287363158:role/Trailwarden-Prod-Heartbeat"))
    assert rig.monitor.process_event(event).handled == ()


def test_a_member_accounts_heartbeat_by_its_regional_role_is_never_an_incident(rig: Rig) -> None:
    event = heartbeat(userIdentity=_issued_by("arn:aws:iam::630287363158:role/trailwarden-heartbeat-us-east-1"),
                      requestParameters={"name": "/trailwarden/member/heartbeat"})
    assert rig.monitor.process_event(event).handled == ()
    assert rig.monitor.state.get(HEARTBEAT_KIND, HOME) == START


def test_a_member_heartbeat_role_of_another_region_is_judged(rig: Rig) -> None:
    event = heartbeat(userIdentity=_issued_by("arn:aws:iam::630287363158:role/trailwarden-heartbeat-eu-west-1"),
                      requestParameters={"name": "/trailwarden/member/heartbeat"})
    assert rig.monitor.process_event(event).handled != ()


def test_a_refused_heartbeat_write_is_not_a_heartbeat() -> None:
    assert not is_heartbeat(heartbeat(errorCode="AccessDeniedException"))


def test_another_parameter_is_not_a_heartbeat() -> None:
    assert not is_heartbeat(heartbeat(requestParameters={"name": "/trailwarden/prod/heartbeat-old"}))
    assert not is_heartbeat(heartbeat(requestParameters=None))


def test_an_older_redelivery_does_not_move_the_heartbeat_back(rig: Rig) -> None:
    rig.monitor.process_event(heartbeat())
    rig.monitor.process_event(heartbeat(eventTime="2026-11-20T12:45:02Z"))
    assert rig.monitor.state.get(HEARTBEAT_KIND, HOME) == START


def test_within_the_threshold_nothing_is_blind(rig: Rig) -> None:
    rig.monitor.process_event(heartbeat())
    assert rig.check(timedelta(minutes=44))["blind"] == []
    assert rig.blind_incidents() == []


def test_past_the_threshold_one_critical_incident_per_account_and_region(rig: Rig) -> None:
    rig.monitor.process_event(heartbeat())
    rig.monitor.process_event(heartbeat(awsRegion="eu-west-1"))
    assert rig.check(timedelta(minutes=46))["blind"] == ["630287363158/eu-west-1", HOME]
    incidents = rig.blind_incidents()
    assert {(i.account, i.region) for i in incidents} == {("630287363158", "us-east-1"),
                                                          ("630287363158", "eu-west-1")}
    assert all(i.severity is Severity.CRITICAL for i in incidents)
    home = next(i for i in incidents if i.region == "us-east-1")
    assert "No heartbeat from account 630287363158, region us-east-1 for 46 minutes" in home.reason
    assert len(rig.slack.payloads) == 2


def test_later_checks_while_blind_join_the_same_incident_without_alerting_again(rig: Rig) -> None:
    rig.monitor.process_event(heartbeat())
    for minutes in (46, 61, 76, 91):
        rig.check(timedelta(minutes=minutes))
    (incident,) = rig.blind_incidents()
    assert incident.count == 4
    assert len(rig.slack.payloads) == 1


def test_a_heartbeat_after_blindness_sends_one_closing_message(rig: Rig) -> None:
    rig.monitor.process_event(heartbeat())
    rig.check(timedelta(minutes=46))
    rig.now = START + timedelta(minutes=50)
    rig.monitor.process_event(heartbeat(eventTime="2026-11-20T13:50:02Z", eventID="beat-2"))
    assert len(rig.slack.payloads) == 2
    assert "heartbeat resumed" in json.dumps(rig.slack.payloads[-1])
    assert open_episodes(rig.monitor.state) == {}
    assert rig.check(timedelta(minutes=60))["blind"] == []


def test_a_new_silence_after_recovery_is_a_new_incident(rig: Rig) -> None:
    rig.monitor.process_event(heartbeat())
    rig.check(timedelta(minutes=46))
    rig.monitor.process_event(heartbeat(eventTime="2026-11-20T13:50:02Z", eventID="beat-2"))
    rig.check(timedelta(minutes=50 + 46))
    assert len(rig.blind_incidents()) == 2


def test_an_expected_place_that_never_beat_is_blind_once_the_check_ran_longer_than_the_threshold(rig: Rig) -> None:
    assert rig.check(timedelta(0))["blind"] == []  # the first check starts the clock
    assert rig.check(timedelta(minutes=46))["blind"] == [HOME]
    assert "no heartbeat has arrived since the check began" in rig.blind_incidents()[0].reason


def test_the_threshold_is_settable() -> None:
    env = {"TRAILWARDEN_BLIND_AFTER_MINUTES": "90", "TRAILWARDEN_ACCOUNT_ID": "630287363158",
           "AWS_REGION": "us-east-1", "TRAILWARDEN_HEARTBEAT_REGIONS": "eu-west-1, eu-central-1"}
    config = LivenessConfig.from_env(env)
    assert config.threshold == timedelta(minutes=90)
    assert config.expected == {HOME, "630287363158/eu-west-1", "630287363158/eu-central-1"}


@pytest.mark.parametrize("value", ["0", "soon", "-5"])
def test_a_bad_threshold_is_a_config_error_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match="TRAILWARDEN_BLIND_AFTER_MINUTES"):
        LivenessConfig.from_env({"TRAILWARDEN_BLIND_AFTER_MINUTES": value})
