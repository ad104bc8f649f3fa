"""Concurrent writers: workers deliver one stream through the monitor into one store at once.

``bench/concurrency.py`` does the delivery and the comparison with a sequential reference;
here it runs small (4 workers, 20 events with redeliveries) on SQLite and on DynamoDB behind a
moto server, once per backend (module scope), and each test checks one promise. ``make chaos``
runs the same function at 8 × 1,000.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
EVENTS = 20


def _load() -> ModuleType:
    """By path: under pytest the name ``bench`` is the tests/bench package."""
    spec = importlib.util.spec_from_file_location("trailwarden_bench_concurrency", ROOT / "bench" / "concurrency.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


concurrency = _load()


@pytest.fixture(scope="module", params=["sqlite", "dynamodb"])
def delivery(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    events = concurrency.event_stream(EVENTS, seed=5)
    with concurrency.STORES[request.param]() as url:
        yield concurrency.run_concurrent_delivery(url, WORKERS, events, seed=5)


def test_the_stream_has_redeliveries_and_findings_to_race_on() -> None:
    events = concurrency.event_stream(EVENTS, seed=5)
    ids = [e["detail"]["eventID"] for e in events]
    assert len(set(ids)) < len(ids)
    assert len(events) == EVENTS


def test_every_delivery_was_made_by_every_worker(delivery: dict[str, Any]) -> None:
    assert delivery["deliveries"] == WORKERS * EVENTS
    assert delivery["dead_lettered"] == 0


def test_verify_is_clean_after_concurrent_writers(delivery: dict[str, Any]) -> None:
    assert delivery["verify_ok"], delivery["verify_problem"]


def test_every_event_and_rule_is_stored_exactly_once(delivery: dict[str, Any]) -> None:
    assert (delivery["lost"], delivery["duplicates"], delivery["extra_pairs"]) == (0, 0, 0)


def test_grouped_counts_equal_a_sequential_delivery(delivery: dict[str, Any]) -> None:
    assert delivery["count_mismatches"] == 0
    assert delivery["incidents_stored"] > 0


def test_each_alert_is_sent_once(delivery: dict[str, Any]) -> None:
    assert delivery["alerts_sent"] == delivery["alerts_expected"] > 0
    assert delivery["extra_alerts"] == 0


def test_the_writers_really_raced_for_the_chain_head(delivery: dict[str, Any]) -> None:
    """Meaningful only if writers overlapped: on DynamoDB some lost the head race and retried
    (SQLite serialises writers on its lock before they read the head, so none lose there)."""
    if delivery["store"] == "dynamodb":
        assert delivery["chain_conflicts"] > 0
    assert delivery["head_seq"] > 0


def test_an_incident_the_stream_did_not_produce_is_reported(tmp_path: Path) -> None:
    """The comparison can fail: a store that already holds another incident does not pass."""
    from chalicelib.findings import Finding, Severity
    from chalicelib.incidents import open_store

    url = f"sqlite:///{tmp_path}/incidents.db"
    stray = Finding(rule="root-api-use", severity=Severity.CRITICAL, title="stray", principal_arn=None,
                    principal=None, target_arn=None, event_id="stray-event", event_name="ListUsers",
                    event_source="iam.amazonaws.com", event_time="2026-11-20T10:00:00Z", account="630287363158",
                    region="us-east-1", source_ip=None, user_agent=None, breaks=None, runbook="r", reason="r",
                    reference=None, observed_auth=None, group_key=None, details={})
    open_store(url).record(stray)
    result = concurrency.run_concurrent_delivery(url, 2, concurrency.event_stream(12, seed=5))
    assert result["extra_pairs"] == 1
