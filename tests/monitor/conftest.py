"""A monitor wired the way the Lambda wires it, on moto: incident store, state, Slack and SNS.

Every test gets moto (started before any client exists), an SNS topic with an SQS queue
subscribed (so what SNS delivered is read back from the queue), and a ``Rig`` to build a
``Monitor`` over one backend — SQLite in ``tmp_path`` or the DynamoDB table created from
``table_definition`` — with an injected Slack sender, SNS publisher and clock. Events come
from ``examples/story`` and are wrapped in EventBridge envelopes exactly as delivered.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.engine import Engine
from chalicelib.errors import DeliveryError
from chalicelib.history import StateHistory
from chalicelib.identity import load_model
from chalicelib.incidents import IncidentStore, open_store
from chalicelib.incidents.dynamodb import DynamoDBIncidentStore
from chalicelib.incidents.dynamodb_schema import table_definition
from chalicelib.incidents.state import DynamoDBStateStore, SQLiteStateStore, StateStore
from chalicelib.monitor import Monitor
from chalicelib.notify import Notifier, Routing, SnsPublisher

STORY = Path(__file__).resolve().parents[2] / "examples" / "story"
REGION = "us-east-1"
TABLE = "trailwarden-monitor-test"
TOPIC = "trailwarden-alerts"
# One session for every client: it keeps botocore's parsed service models across tests.
SESSION = boto3.session.Session()
CI_USER_ARN = "arn:aws:iam::630287363158:user/github-actions-aws-deployer"
ROOT_ARN = "arn:aws:iam::630287363158:root"


# -- events ---------------------------------------------------------------------------------
def story(name: str) -> Any:
    """One file of the seed story, parsed (a record, an envelope or a Records file)."""
    return json.loads((STORY / name).read_text(encoding="utf-8"))


def story_lines(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (STORY / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def envelope(record: dict[str, Any], *, envelope_id: str | None = None) -> dict[str, Any]:
    """A CloudTrail record as EventBridge delivers it (each delivery has its own envelope id)."""
    source = str(record.get("eventSource", "")).split(".amazonaws.com")[0]
    signin = record.get("eventSource") == "signin.amazonaws.com"
    return {
        "version": "0",
        "id": envelope_id or str(uuid.uuid4()),
        "detail-type": "AWS Console Sign In via CloudTrail" if signin else "AWS API Call via CloudTrail",
        "source": f"aws.{source}",
        "account": record.get("recipientAccountId", "630287363158"),
        "time": record.get("eventTime"),
        "region": record.get("awsRegion", REGION),
        "resources": [],
        "detail": record,
    }


def redelivered(env: dict[str, Any]) -> dict[str, Any]:
    """At-least-once delivery: the same CloudTrail event again, in a new envelope (new ``id``)."""
    return {**copy.deepcopy(env), "id": str(uuid.uuid4())}


def with_changes(record: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(record)
    out.update(changes)
    return out


def ci_activity(event_id: str, event_time: str) -> dict[str, Any]:
    """The CI user's routine PutObject (07-routine-activity.jsonl) at another time."""
    put = next(r for r in story_lines("07-routine-activity.jsonl") if r["eventName"] == "PutObject")
    return envelope(with_changes(put, eventID=event_id, eventTime=event_time))


def denied_assume_roles(count: int) -> list[dict[str, Any]]:
    """``count`` failed AssumeRole calls by the CI user (06-ci-assume-role-denied.json), a few seconds apart."""
    base = story("06-ci-assume-role-denied.json")
    start = datetime(2026, 11, 19, 22, 14, 9, tzinfo=UTC)
    return [
        envelope(with_changes(
            base,
            eventID=f"9a1b7e55-3a53-4f2e-9a1e-{i:012d}",
            eventTime=(start + timedelta(seconds=7 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        ))
        for i in range(count)
    ]


def sso_admin_creates_ci_key() -> dict[str, Any]:
    """Jared (SSO admin) rotates the CI user's key: the declared rotation, a low finding."""
    sso = next(r for r in story_lines("07-routine-activity.jsonl") if r["eventName"] == "CreateTags")
    return envelope(with_changes(
        sso, eventName="CreateAccessKey", eventSource="iam.amazonaws.com", eventID="7c2e0d4a-rotation-0001",
        requestParameters={"userName": "github-actions-aws-deployer"},
        responseElements={"accessKey": {"accessKeyId": "AKIAZ7EXAMPLEROTATE1", "status": "Active",
                                        "userName": "github-actions-aws-deployer"}},
    ))


# -- injected collaborators -----------------------------------------------------------------
class Clock:
    """The monitor's clock, moved by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class ScriptedSlack:
    """A Slack sender that keeps what it delivered, and fails while ``down`` (or when ``fails(payload)``)."""

    down: bool = False
    fails: Callable[[dict[str, Any]], bool] = lambda payload: False
    delivered: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0

    def send(self, payload: dict[str, Any]) -> None:
        self.attempts += 1
        if self.down or self.fails(payload):
            raise DeliveryError("Slack webhook answered HTTP 503: service_unavailable")
        self.delivered.append(copy.deepcopy(payload))

    @property
    def texts(self) -> list[str]:
        return [p["text"] for p in self.delivered]


class SnsTopic:
    """A moto SNS topic with an SQS queue subscribed; the topic can be taken down and restored."""

    def __init__(self) -> None:
        self.sns = SESSION.client("sns", region_name=REGION)
        self.sqs = SESSION.client("sqs", region_name=REGION)
        self.queue_url = self.sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
        attrs = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
        self.queue_arn = attrs["Attributes"]["QueueArn"]
        self.arn = self.restore()

    def restore(self) -> str:
        arn = self.sns.create_topic(Name=TOPIC)["TopicArn"]
        self.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=self.queue_arn)
        return arn

    def take_down(self) -> None:
        self.sns.delete_topic(TopicArn=self.arn)

    def publisher(self) -> SnsPublisher:
        return SnsPublisher(self.arn, client=SESSION.client("sns", region_name=REGION))

    def received(self) -> list[dict[str, Any]]:
        """Every notification delivered so far (drains the queue): SNS envelope + parsed ``body``."""
        out: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = batch.get("Messages", [])
            if not messages:
                return out
            for message in messages:
                note = json.loads(message["Body"])
                note["body"] = json.loads(note["Message"])
                out.append(note)
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


# -- backends -------------------------------------------------------------------------------
@dataclass
class Rig:
    """Everything a test needs to build monitors over one backend and look at what they did."""

    backend: str
    open_store: Callable[[], IncidentStore]
    open_state: Callable[[], StateStore]
    topic: SnsTopic
    clock: Clock
    model: Any = field(default_factory=load_model)

    def monitor(self, slack: Any = "capture", sns: Any = "topic", *, state: StateStore | None = None,
                store: IncidentStore | None = None) -> Monitor:
        """A monitor as one Lambda container would hold it (pass ``state``/``store`` to share them)."""
        slack_sender = ScriptedSlack() if slack == "capture" else slack
        publisher = self.topic.publisher() if sns == "topic" else sns
        notifier = Notifier(Routing.parse(None), slack_sender, publisher)
        state = state or self.open_state()
        return Monitor(Engine(self.model, history=StateHistory(state)), store or self.open_store(), notifier,
                       state=state, clock=self.clock)


AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
           "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}


@contextmanager
def fake_aws() -> Iterator[None]:
    """Fake credentials and region, then moto, started before any client is created."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in AWS_ENV.items():
            mp.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SNS"):
            mp.delenv(name, raising=False)
        with mock_aws():
            yield


def make_rig(backend: str, folder: Path) -> Rig:
    """Inside ``fake_aws()``: the SNS topic, the backend's storage, and a clock at 2026-11-20 12:00Z."""
    topic = SnsTopic()
    clock = Clock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    if backend == "sqlite":
        path = folder / "incidents.db"
        return Rig("sqlite", lambda: open_store(f"sqlite:///{path}"), lambda: SQLiteStateStore(str(path)),
                   topic, clock)
    SESSION.client("dynamodb", region_name=REGION).create_table(**table_definition(TABLE))
    return Rig(
        "dynamodb",
        lambda: DynamoDBIncidentStore(TABLE, client=SESSION.client("dynamodb", region_name=REGION)),
        lambda: DynamoDBStateStore(TABLE, client=SESSION.client("dynamodb", region_name=REGION)),
        topic, clock,
    )


@pytest.fixture(params=["sqlite", "dynamodb"])
def rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Rig]:
    with fake_aws():
        yield make_rig(request.param, tmp_path)
