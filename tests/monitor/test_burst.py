"""A CI pipeline retrying a denied AssumeRole 50 times is one incident and one alert, on both backends.

The burst is processed once per backend (module scope: 50 DynamoDB transactions on moto take
seconds) and each test checks one consequence of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chalicelib.incidents import Incident, IncidentQuery
from chalicelib.monitor import ProcessResult

from .conftest import CI_USER_ARN, Rig, ScriptedSlack, denied_assume_roles, fake_aws, make_rig

BURST = 50


@dataclass
class Burst:
    rig: Rig
    slack: ScriptedSlack
    results: list[ProcessResult]
    incidents: list[Incident]
    sns_notes: list[dict]


@pytest.fixture(scope="module", params=["sqlite", "dynamodb"])
def burst(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Burst]:
    folder: Path = tmp_path_factory.mktemp(f"burst-{request.param}")
    with fake_aws():
        rig = make_rig(request.param, folder)
        slack = ScriptedSlack()
        mon = rig.monitor(slack)
        results = [mon.process_envelope(env) for env in denied_assume_roles(BURST)]
        stored = rig.open_store().iter_all(IncidentQuery(limit=1000))
        yield Burst(rig, slack, results, stored, rig.topic.received())


def test_fifty_denied_assume_role_calls_by_one_principal_are_one_incident(burst: Burst) -> None:
    assert [(i.rule, i.principal_arn, i.principal) for i in burst.incidents] == [
        ("sts-assume-role-failed", CI_USER_ARN, "github-actions")]


def test_the_incident_counts_all_fifty_calls_and_remembers_each_event_id(burst: Burst) -> None:
    incident = burst.incidents[0]
    assert incident.count == BURST
    assert len(set(incident.member_event_ids)) == BURST


def test_the_incident_spans_the_first_to_the_last_call(burst: Burst) -> None:
    incident = burst.incidents[0]
    assert incident.first_seen == datetime(2026, 11, 19, 22, 14, 9, tzinfo=UTC)
    assert incident.last_seen == datetime(2026, 11, 19, 22, 19, 52, tzinfo=UTC)  # 49 calls × 7 s later


def test_the_first_call_opens_the_incident_and_the_other_49_join_it(burst: Burst) -> None:
    statuses = [h.outcome.status for r in burst.results for h in r.handled]
    assert statuses == ["new"] + ["grouped"] * (BURST - 1)


def test_fifty_denied_assume_role_calls_send_one_slack_message(burst: Burst) -> None:
    assert burst.slack.attempts == 1
    assert "sts-assume-role-failed" in burst.slack.texts[0] and CI_USER_ARN in burst.slack.texts[0]


def test_fifty_denied_assume_role_calls_publish_one_sns_message(burst: Burst) -> None:
    assert [n["body"]["rule"] for n in burst.sns_notes] == ["sts-assume-role-failed"]
    assert burst.sns_notes[0]["body"]["incident_id"] == burst.incidents[0].incident_id
