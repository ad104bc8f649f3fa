"""A poison event: the real handler fails on every attempt, the event reaches the DLQ intact,
and ``dlq redrive`` stores and alerts it once the cause is fixed.

The handler is app.py's, invoked through Chalice's test client as Lambda would (three attempts);
the store is a DynamoDB table on moto that does not exist yet (an outage that lasts past every
retry). What Lambda then sends to the function's dead-letter queue is written here as AWS
documents it: the event unmodified as the body, with ``RequestID``, ``ErrorCode`` and
``ErrorMessage`` (truncated to 1 KB) — the template's ``DeadLetterQueue`` is tested in tests/deploy.
"""

from __future__ import annotations

import argparse
import json
import uuid
from typing import Any

import boto3
import pytest
from chalice.test import Client

import app as app_module
from chalicelib import runtime
from chalicelib.cli import dlq as dlq_cli
from chalicelib.errors import StoreError
from chalicelib.incidents.dynamodb_schema import table_definition
from chalicelib.notify import CapturingSlackSender
from chalicelib.settings import Settings

from .conftest import story

TABLE = "trailwarden-poison-test"
LAMBDA_ATTEMPTS = 3


def lambda_dead_letter(sqs: Any, queue: str, event: dict[str, Any], error: Exception) -> None:
    """What Lambda's function dead-letter queue receives once its retries are exhausted."""
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(event), MessageAttributes={
        "RequestID": {"DataType": "String", "StringValue": str(uuid.uuid4())},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": str(error)[:1024]}})


@pytest.fixture
def deployed(aws: None) -> tuple[Any, CapturingSlackSender]:
    """The deployed wiring (runtime.build_monitor) on a table that does not exist yet."""
    slack = CapturingSlackSender()
    runtime.use(runtime.build_monitor(Settings(store_url=f"dynamodb://{TABLE}", topic_arn=None), slack=slack))
    yield runtime.monitor(), slack
    runtime.use(None)


def test_a_poison_event_reaches_the_dlq_intact_and_is_redriven_after_the_fix(
        deployed: tuple[Any, CapturingSlackSender], capsys: pytest.CaptureFixture[str]) -> None:
    monitor, slack = deployed
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="trailwarden-test-dlq")["QueueUrl"]
    event = story("04-root-deletes-ci-user.eventbridge.json")
    errors = []
    with Client(app_module.app) as client:
        for _ in range(LAMBDA_ATTEMPTS):
            with pytest.raises(StoreError, match="does not exist") as failed:
                client.lambda_.invoke("iam", event)
            errors.append(failed.value)
    lambda_dead_letter(sqs, queue, event, errors[-1])

    [message] = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0).get("Messages", [])
    assert json.loads(message["Body"]) == event  # intact
    assert slack.payloads == []  # nothing stored, so nothing alerted

    boto3.client("dynamodb").create_table(**table_definition(TABLE))  # the fix
    parser = argparse.ArgumentParser()
    dlq_cli.register(parser.add_subparsers(dest="command"))
    code = dlq_cli.run(parser.parse_args(["dlq", "redrive", "--queue", queue, "--format", "json"]), monitor=monitor)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    rows = [r for r in lines if "outcome" in r]  # the handlers' Powertools logs share stdout
    assert code == 0 and [r["outcome"] for r in rows] == ["redriven"]
    assert {i.rule for i in monitor.store.iter_all()} == {"iam-delete-user", "root-api-use"}
    assert len(slack.payloads) == 2
    assert sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages", []) == []
