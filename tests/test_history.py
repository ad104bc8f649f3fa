"""The history interface, one suite for both implementations: in memory (replay) and over the state store
(the deployed monitor, SQLite and DynamoDB on moto), so replay and Lambda learn the same facts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from chalicelib.history import AGENT, IP, Assumer, History, MemoryHistory, StateHistory, agent_family
from chalicelib.incidents.dynamodb import table_definition
from chalicelib.incidents.state import DynamoDBStateStore, SQLiteStateStore

WHEN = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)
WHEN_TEXT = "2026-11-21T04:00:00Z"
TABLE = "tw-history-test"


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def history(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[History]:
    if request.param == "memory":
        yield MemoryHistory()
    elif request.param == "sqlite":
        yield StateHistory(SQLiteStateStore(str(tmp_path / "state.db")))
    else:
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_DEFAULT_REGION": "us-east-1"}.items():
            monkeypatch.setenv(name, value)
        with mock_aws():
            client = boto3.client("dynamodb", region_name="us-east-1")
            client.create_table(**table_definition(TABLE))
            yield StateHistory(DynamoDBStateStore(TABLE, client=client))


def test_a_source_is_unknown_until_it_is_added(history: History) -> None:
    assert not history.source_seen("github-actions", IP, "20.42.9.11")
    history._add_source("github-actions", IP, "20.42.9.11", WHEN_TEXT)
    assert history.source_seen("github-actions", IP, "20.42.9.11")


def test_a_source_vouches_only_once_it_was_first_seen_an_hour_before(history: History) -> None:
    history._add_source("github-actions", IP, "20.42.9.11", WHEN_TEXT)
    assert not history.source_seen("github-actions", IP, "20.42.9.11", WHEN + timedelta(minutes=5))
    assert history.source_seen("github-actions", IP, "20.42.9.11", WHEN + timedelta(hours=1))


def test_seeing_a_source_again_later_keeps_when_it_was_first_seen(history: History) -> None:
    history._add_source("github-actions", IP, "20.42.9.11", WHEN_TEXT)
    history._add_source("github-actions", IP, "20.42.9.11", "2026-11-23T04:00:00Z")
    assert history.source_seen("github-actions", IP, "20.42.9.11", WHEN + timedelta(hours=2))


def test_a_source_seen_for_one_principal_is_not_known_for_another(history: History) -> None:
    history._add_source("github-actions", AGENT, "terraform", WHEN_TEXT)
    assert not history.source_seen("paperclip-agents", AGENT, "terraform")


def test_a_session_remembers_who_assumed_it(history: History) -> None:
    history._add_session("ASIAZ7TW0CIASAGENT01", Assumer("github-actions", "arn:aws:iam::1:user/ci"), WHEN_TEXT)
    assert history.assumer("ASIAZ7TW0CIASAGENT01") == Assumer("github-actions", "arn:aws:iam::1:user/ci")


def test_an_unknown_session_has_no_assumer(history: History) -> None:
    assert history.assumer("ASIAZ7TW0NEVERSEEN01") is None


def test_a_user_with_no_key_history_has_unknown_keys(history: History) -> None:
    assert history.active_keys("630287363158:ci") is None


def test_keys_set_for_a_user_are_read_back(history: History) -> None:
    history.set_keys("630287363158:ci", frozenset({"a1", "b2"}), WHEN)
    assert history.active_keys("630287363158:ci") == frozenset({"a1", "b2"})


def test_a_user_whose_keys_were_all_removed_has_none_active(history: History) -> None:
    history.set_keys("630287363158:ci", frozenset({"a1"}), WHEN)
    history.set_keys("630287363158:ci", frozenset(), WHEN)
    assert history.active_keys("630287363158:ci") == frozenset()


@pytest.mark.parametrize(("agent", "family"), [
    ("aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0", "aws-cli"),
    ("aws-sdk-go-v2/1.30.3 os/linux APN/1.0 HashiCorp/1.0 Terraform/1.9.5", "terraform"),
    ("Boto3/1.35.10 md/Botocore#1.35.10", "boto3"),
    ("python-requests/2.31.0", "python-requests"),
    (None, None),
])
def test_the_user_agent_family_ignores_versions_and_platform(agent: str | None, family: str | None) -> None:
    assert agent_family(agent) == family


def test_memory_history_stays_bounded() -> None:
    history = MemoryHistory(limit=100)
    for n in range(1000):
        history._add_source("p", IP, f"10.0.{n // 256}.{n % 256}", WHEN_TEXT)
    assert len(history._sources) <= 100
