"""Fixtures: moto with fake credentials, and the backend harness every contract test runs on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from chalicelib.incidents.dynamodb_schema import table_definition
from chalicelib.incidents.store import IncidentStore

from .harness import REGION, TABLE, DynamoHarness, Harness, SQLiteHarness, new_client


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Fake credentials and region, then moto — started before any client exists."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        client = new_client()
        client.create_table(**table_definition(TABLE))
        yield client


@pytest.fixture
def dynamo(aws: Any) -> DynamoHarness:
    return DynamoHarness(aws)


@pytest.fixture(params=["sqlite", "dynamodb"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    if request.param == "sqlite":
        return SQLiteHarness(tmp_path / "incidents.db")
    return request.getfixturevalue("dynamo")


@pytest.fixture
def store(harness: Harness) -> IncidentStore:
    return harness.open()
