"""Mutated real records through the Lambda handlers (``runtime.handle_cloudtrail``): nothing escapes.

The monitor is wired as the Lambda wires it, with its collaborators injected: an in-memory
SQLite incident store and state, a capturing Slack sender, and the real ``SnsPublisher`` over a
client that keeps what it was asked to publish (so alert formatting runs on every mutant too).
Each document is delivered as EventBridge would (the mutant's own envelope, or one made for a
bare record) and also as it is (a bare record or a Records file reaching the handler must be
skipped with a reason, not crash). Properties: no exception, no ``rule-error``, a summary
Lambda can return as JSON, the same summary from a fresh monitor, and a redelivery that is a
duplicate and sends nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given

from chalicelib import runtime
from chalicelib.engine import RULE_ERROR, Engine
from chalicelib.eventbridge import envelope_for
from chalicelib.history import StateHistory
from chalicelib.identity import load_model
from chalicelib.incidents import open_store
from chalicelib.incidents.state import SQLiteStateStore
from chalicelib.monitor import Monitor
from chalicelib.notify import CapturingSlackSender, Notifier, Routing, SnsPublisher

from .conftest import LONG_MAX
from .mutations import SAMPLES, Text, as_text, mutated, seed_records

MODEL = load_model()
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TOPIC = "arn:aws:sns:us-east-1:630287363158:trailwarden-alerts"
FIXTURE_SEEDS = seed_records(shared=False)
SHARED_SEEDS = seed_records(shared=True)


class KeptPublishes:
    """An SNS client that accepts every publish and keeps its arguments."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, **kwargs: Any) -> dict[str, str]:
        json.dumps(kwargs)  # what botocore would have to serialise
        self.published.append(kwargs)
        return {"MessageId": f"m-{len(self.published)}"}


def monitor() -> tuple[Monitor, CapturingSlackSender, KeptPublishes]:
    slack, client = CapturingSlackSender(), KeptPublishes()
    state = SQLiteStateStore(":memory:")
    notifier = Notifier(Routing.parse(None), slack, SnsPublisher(TOPIC, client=client))
    mon = Monitor(Engine(MODEL, history=StateHistory(state)), open_store("sqlite:///:memory:"), notifier,
                  state=state, clock=lambda: NOW)
    return mon, slack, client


@pytest.fixture(autouse=True, scope="module")
def _reset_runtime() -> Iterator[None]:
    yield
    runtime.use(None)


def delivered(doc: Any) -> Any:
    """The document as EventBridge would deliver it: its envelope, or one made for a bare record."""
    if isinstance(doc, dict) and "detail" in doc:
        return doc
    if isinstance(doc, dict) and "Records" not in doc:
        return {**envelope_for(doc), "id": "fixed-envelope-id"}
    return doc


def handled(doc: Any) -> tuple[dict[str, Any], int]:
    """One fresh monitor's summary for ``doc`` and the alerts it sent (Slack + SNS)."""
    mon, slack, sns = monitor()
    runtime.use(mon)
    summary = runtime.handle_cloudtrail(doc, "writes")
    json.dumps(summary)  # the Lambda returns it
    return summary, len(slack.payloads) + len(sns.published)


def check(text: Text) -> None:
    for doc in (text.doc, delivered(text.doc)):
        summary, alerts = handled(doc)
        assert RULE_ERROR not in {f["rule"] for f in summary["findings"]}
        assert handled(doc) == (summary, alerts), "the same delivery gave another result"
    mon, slack, sns = monitor()
    runtime.use(mon)
    envelope = delivered(text.doc)
    runtime.handle_cloudtrail(envelope, "writes")
    sent = len(slack.payloads) + len(sns.published)
    again = runtime.handle_cloudtrail({**envelope, "id": "redelivery"} if isinstance(envelope, dict) else envelope,
                                      "writes")
    assert {f["status"] for f in again["findings"]} <= {"duplicate"}
    assert len(slack.payloads) + len(sns.published) == sent, "a redelivery alerted again"


@given(mutated(FIXTURE_SEEDS, LONG_MAX).flatmap(as_text))
def test_mutated_fixture_records_never_crash_the_handler(text: Text) -> None:
    check(text)


@pytest.mark.skipif(not SHARED_SEEDS, reason=f"shared samples not found at {SAMPLES.resolve()}")
@given(mutated(SHARED_SEEDS or [{}], LONG_MAX).flatmap(as_text))
def test_mutated_shared_samples_never_crash_the_handler(text: Text) -> None:
    check(text)
