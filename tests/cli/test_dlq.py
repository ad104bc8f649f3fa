"""``dlq list|redrive`` against moto SQS: the three shapes a dead letter takes, masking, and redrive.

Messages are what AWS puts in the stack's queue: a rule's dead letter (EventBridge: the event
as body, ``RULE_ARN``/``TARGET_ARN``/``ERROR_CODE``/``ERROR_MESSAGE``), a function's dead letter
(Lambda: the event as body, ``RequestID``/``ErrorCode``/``ErrorMessage``), and an on-failure
invocation record (tests/fixtures/deadletters). The monitor is the handlers' own, on SQLite,
with a capturing Slack sender.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.cli import dlq as dlq_cli
from chalicelib.cli import main
from chalicelib.engine import Engine
from chalicelib.history import StateHistory
from chalicelib.identity import load_model
from chalicelib.incidents import open_store
from chalicelib.incidents.state import SQLiteStateStore
from chalicelib.monitor import Monitor
from chalicelib.notify import CapturingSlackSender, Notifier, Routing

ROOT = Path(__file__).resolve().parents[2]
STORY = ROOT / "examples" / "story"
FIXTURES = ROOT / "tests" / "fixtures" / "deadletters"
ROOT_KEY = "AKIAZ7EXAMPLEROOTKEY"
RULE_ARN = "arn:aws:events:us-east-1:630287363158:rule/trailwarden-prod-iam"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:630287363158:function:trailwarden-prod-iam"


def _story(name: str) -> dict[str, Any]:
    return json.loads((STORY / name).read_text(encoding="utf-8"))


def _attrs(**values: str) -> dict[str, Any]:
    return {k: {"DataType": "Number" if k == "ErrorCode" else "String", "StringValue": v} for k, v in values.items()}


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "TRAILWARDEN_DLQ_URL"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield boto3.client("sqs")


@pytest.fixture
def queue(sqs: Any) -> str:
    return sqs.create_queue(QueueName="trailwarden-prod-dlq")["QueueUrl"]


def put_rule_dead_letter(sqs: Any, queue: str) -> dict[str, Any]:
    """EventBridge could not invoke the iam handler: root deletes the CI user (story 04)."""
    event = _story("04-root-deletes-ci-user.eventbridge.json")
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(event), MessageAttributes=_attrs(
        RULE_ARN=RULE_ARN, TARGET_ARN=FUNCTION_ARN, ERROR_CODE="SDK_CLIENT_ERROR",
        ERROR_MESSAGE=f"Rate Exceeded. (Service: Lambda; caller key {ROOT_KEY})"))
    return event


def put_lambda_dead_letter(sqs: Any, queue: str) -> dict[str, Any]:
    """The signin handler raised on every attempt: root signs in to the console (story 01)."""
    event = _story("01-root-console-signin.eventbridge.json")
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(event), MessageAttributes=_attrs(
        RequestID="5d1f0a3e-7c44-4a8e-b1d2-3f0c9e8a7b61", ErrorCode="200",
        ErrorMessage="alerts failed for event 9a1b7e55: slack: Slack webhook answered HTTP 503"))
    return event


def put_destination_record(sqs: Any, queue: str) -> dict[str, Any]:
    body = (FIXTURES / "lambda-destination-record.json").read_text(encoding="utf-8")
    sqs.send_message(QueueUrl=queue, MessageBody=body)
    return json.loads(body)["requestPayload"]


def messages_left(sqs: Any, queue: str) -> int:
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


class Rig:
    """The handlers' monitor on a SQLite log, with a capturing Slack sender."""

    def __init__(self, folder: Path) -> None:
        self.url = f"sqlite:///{folder / 'incidents.db'}"
        self.slack = CapturingSlackSender()
        state = SQLiteStateStore(str(folder / "incidents.db"))
        self.monitor = Monitor(Engine(load_model(), history=StateHistory(state)), open_store(self.url),
                               Notifier(Routing.parse(None), self.slack, None), state=state)

    def stored(self) -> list[tuple[str, str | None]]:
        return sorted((i.rule, i.event_id) for i in self.monitor.store.iter_all())


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path)


def run(capsys: pytest.CaptureFixture[str], *argv: str, monitor: Any = None) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    dlq_cli.register(parser.add_subparsers(dest="command"))
    code = dlq_cli.run(parser.parse_args(["dlq", *argv]), monitor=monitor)
    out, err = capsys.readouterr()
    return code, out, err


def rows(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_list_reads_each_kind_of_dead_letter_with_its_error(sqs: Any, queue: str,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    put_rule_dead_letter(sqs, queue)
    put_lambda_dead_letter(sqs, queue)
    put_destination_record(sqs, queue)
    code, out, _ = run(capsys, "list", "--queue", queue, "--format", "json")
    found = {r["source"]: r for r in rows(out)}
    assert code == 0
    assert set(found) == {"eventbridge-rule", "lambda-dlq", "lambda-destination"}
    assert (found["eventbridge-rule"]["rule_arn"], found["eventbridge-rule"]["error_code"]) == (
        RULE_ARN, "SDK_CLIENT_ERROR")
    assert found["lambda-dlq"]["event_name"] == "ConsoleLogin"
    assert found["lambda-destination"]["error_code"] == "StoreError"


def test_list_masks_access_key_ids_and_shows_no_request_data(sqs: Any, queue: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    put_rule_dead_letter(sqs, queue)
    put_destination_record(sqs, queue)  # its event created a key: AKIAZ7EXAMPLENEW9Q2A
    _, table, _ = run(capsys, "list", "--queue", queue)
    _, lines, _ = run(capsys, "list", "--queue", queue, "--format", "json")
    for out in (table, lines):
        assert ROOT_KEY not in out and "AKIAZ7EXAMPLENEW9Q2A" not in out and "terraform-deployer" not in out
    assert {r["access_key_id"] for r in rows(lines)} == {"…TKEY"}


def test_the_table_summary_counts_one_dead_letter_in_the_singular(sqs: Any, queue: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    put_rule_dead_letter(sqs, queue)
    code, table, _ = run(capsys, "list", "--queue", queue)
    assert code == 0 and table.splitlines()[-1] == "1 dead letter: 1 listed"


def test_list_leaves_every_message_in_the_queue(sqs: Any, queue: str, capsys: pytest.CaptureFixture[str]) -> None:
    put_rule_dead_letter(sqs, queue)
    put_lambda_dead_letter(sqs, queue)
    run(capsys, "list", "--queue", queue)
    assert messages_left(sqs, queue) == 2
    code, out, _ = run(capsys, "list", "--queue", queue, "--format", "json")
    assert len(rows(out)) == 2 and code == 0  # visible again at once


def test_a_dry_run_stores_nothing_and_deletes_nothing(sqs: Any, queue: str, rig: Rig,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    put_rule_dead_letter(sqs, queue)
    code, out, _ = run(capsys, "redrive", "--queue", queue, "--dry-run", monitor=rig.monitor)
    assert code == 0 and "would-redrive" in out
    assert (rig.stored(), messages_left(sqs, queue)) == ([], 1)


def test_redrive_stores_each_event_and_then_deletes_its_message(sqs: Any, queue: str, rig: Rig,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    put_rule_dead_letter(sqs, queue)
    put_lambda_dead_letter(sqs, queue)
    put_destination_record(sqs, queue)
    code, out, _ = run(capsys, "redrive", "--queue", queue, "--format", "json", monitor=rig.monitor)
    assert code == 0
    assert {r["outcome"] for r in rows(out)} == {"redriven"}
    assert {rule for rule, _ in rig.stored()} >= {"iam-delete-user", "root-signin", "iam-create-access-key"}
    assert messages_left(sqs, queue) == 0


def test_redrive_alerts_as_the_handler_would(sqs: Any, queue: str, rig: Rig,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    put_lambda_dead_letter(sqs, queue)
    run(capsys, "redrive", "--queue", queue, monitor=rig.monitor)
    assert len(rig.slack.payloads) == 1


def test_an_event_redriven_twice_is_stored_and_alerted_once(sqs: Any, queue: str, rig: Rig,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    put_lambda_dead_letter(sqs, queue)
    put_lambda_dead_letter(sqs, queue)  # EventBridge delivered it twice; both deliveries failed
    run(capsys, "redrive", "--queue", queue, monitor=rig.monitor)
    assert (len(rig.stored()), len(rig.slack.payloads), messages_left(sqs, queue)) == (1, 1, 0)


def test_an_unreadable_message_is_kept_and_the_exit_status_says_so(sqs: Any, queue: str, rig: Rig,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="not json at all")
    code, out, _ = run(capsys, "redrive", "--queue", queue, "--format", "json", monitor=rig.monitor)
    [row] = rows(out)
    assert (code, row["outcome"], messages_left(sqs, queue)) == (1, "kept-unreadable", 1)
    assert "not JSON" in row["detail"]


def test_a_message_whose_event_still_fails_is_kept(sqs: Any, queue: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from chalicelib.errors import DeliveryError

    class DownSlack:
        def send(self, payload: dict[str, Any]) -> None:
            raise DeliveryError("Slack webhook answered HTTP 503")

    rig = Rig(tmp_path)
    rig.monitor.notifier = Notifier(Routing.parse(None), DownSlack(), None)
    put_lambda_dead_letter(sqs, queue)
    code, out, _ = run(capsys, "redrive", "--queue", queue, "--format", "json", monitor=rig.monitor)
    [row] = rows(out)
    assert (code, row["outcome"], messages_left(sqs, queue)) == (1, "failed", 1)
    assert "HTTP 503" in row["detail"]


def test_a_missing_queue_is_one_error_line(sqs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["dlq", "list", "--queue", "https://sqs.us-east-1.amazonaws.com/123456789012/no-such-dlq"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("error: ")


def test_without_a_queue_the_error_says_where_to_find_it(sqs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["dlq", "list"])
    _, err = capsys.readouterr()
    assert code == 2 and "DeadLetterQueueUrl" in err
