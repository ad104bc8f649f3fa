"""The Lambda-facing runtime with a monitor installed through ``runtime.use`` (and always removed after).

moto runs for every test (fake credentials, started before any client), so the scheduled
audit reads IAM from it and the SNS channel publishes to it. The incident store and its state
live in one SQLite file in ``tmp_path``. The identity model is the bundled one, plus moto's
account so the audit judges the account it runs in.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib import runtime
from chalicelib.engine import Engine
from chalicelib.identity import IdentityModel, load_model
from chalicelib.identity.loader import DEFAULT_MODEL
from chalicelib.incidents import IncidentStore, open_store
from chalicelib.incidents.state import SQLiteStateStore, StateStore
from chalicelib.monitor import Monitor
from chalicelib.notify import CapturingSlackSender, Notifier, Routing
from chalicelib.settings import settings

STORY = Path(__file__).resolve().parents[2] / "examples" / "story"
REGION = "us-east-1"
MOTO_ACCOUNT = "123456789012"
STORY_ACCOUNT = "630287363158"
CI_USER = "github-actions-aws-deployer"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def story(name: str) -> Any:
    return json.loads((STORY / name).read_text(encoding="utf-8"))


def envelope(record: dict[str, Any]) -> dict[str, Any]:
    """A bare CloudTrail record as EventBridge delivers it."""
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "AWS API Call via CloudTrail",
        "source": "aws." + record["eventSource"].split(".")[0], "account": record["recipientAccountId"],
        "time": record["eventTime"], "region": record["awsRegion"], "resources": [], "detail": record,
    }


def ci_put_object(event_time: str, event_id: str = "ci-put-0001") -> dict[str, Any]:
    """The CI user's routine Terraform state write (07-routine-activity.jsonl) at ``event_time``."""
    lines = (STORY / "07-routine-activity.jsonl").read_text(encoding="utf-8").splitlines()
    record = copy.deepcopy(next(json.loads(line) for line in lines if '"PutObject"' in line))
    record.update(eventTime=event_time, eventID=event_id)
    return envelope(record)


@pytest.fixture(scope="session")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled model, with moto's account declared beside the story's."""
    text = DEFAULT_MODEL.read_text(encoding="utf-8")
    marker = "accounts:\n"
    assert marker in text
    extra = f'  - id: "{MOTO_ACCOUNT}"\n    name: moto\n    root: never\n'
    path = tmp_path_factory.mktemp("model") / "identity_model.yaml"
    path.write_text(text.replace(marker, marker + extra, 1), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def model(model_file: Path) -> IdentityModel:
    return load_model(model_file)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_SSM",
                 "AWS_ENDPOINT_URL_STS", "TRAILWARDEN_MODEL", "TRAILWARDEN_STORE", "TRAILWARDEN_TOPIC_ARN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    with mock_aws():
        yield


@dataclass
class Installed:
    monitor: Monitor
    store: IncidentStore
    state: StateStore
    slack: CapturingSlackSender

    @property
    def alerts(self) -> list[str]:
        return [p["text"] for p in self.slack.payloads]


@pytest.fixture
def installed(aws: None, tmp_path: Path, model: IdentityModel) -> Iterator[Installed]:
    """A monitor on SQLite with a capturing Slack sender, installed with ``runtime.use``."""
    url = f"sqlite:///{tmp_path / 'incidents.db'}"
    slack = CapturingSlackSender()

    monitor = Monitor(Engine(model), open_store(url), Notifier(Routing.parse(None), slack, None),
                      state=SQLiteStateStore(str(tmp_path / "incidents.db")), clock=lambda: NOW)
    runtime.use(monitor)
    try:
        yield Installed(monitor, monitor.store, monitor.state, slack)  # type: ignore[arg-type]
    finally:
        runtime.use(None)


@pytest.fixture
def ci_user_in_iam(aws: None) -> str:
    """The CI user exists in (moto's) IAM with an access key, as the model declares."""
    iam = boto3.client("iam")
    iam.create_user(UserName=CI_USER)
    iam.create_access_key(UserName=CI_USER)
    return f"arn:aws:iam::{MOTO_ACCOUNT}:user/{CI_USER}"


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """``settings()`` is built once per process; rebuild it from this test's environment, and after."""
    settings.cache_clear()
    try:
        yield
    finally:
        settings.cache_clear()
        runtime.use(None)
