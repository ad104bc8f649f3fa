"""The ``backfill_worker`` handler, fed the batch input a Distributed Map sends it.

moto cannot run a Distributed Map (its Step Functions runs no ItemReader, ItemBatcher or child
executions), so these tests build the event the map hands each invocation — ``BatchInput``
(from the execution input) and ``Items`` in ``s3:listObjectsV2``'s item shape, keys in listing
order — and check the worker stores what ``replay s3:// --store`` stores for the same objects.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.backfill.worker import judge_batch, parse_result_key, result_key, write_result
from chalicelib.cli import main
from chalicelib.engine import Engine
from chalicelib.errors import ConfigError
from chalicelib.identity import load_model
from chalicelib.incidents import open_store
from chalicelib.incidents.state import open_state
from chalicelib.monitor import Monitor
from chalicelib.runtime import store_options
from chalicelib.settings import Settings
from tests.trailbucket.bucket import BUCKET, Layout


class Sent:
    """Alerts the monitor would have sent (the notifier is injected, never Slack or SNS)."""

    def __init__(self) -> None:
        self.findings: list[Any] = []

    def notify(self, finding: Any, *args: Any, **kwargs: Any) -> Any:
        self.findings.append(finding)
        return None


def monitor(url: str, notifier: Any = None) -> Monitor:
    store = open_store(url, **store_options(Settings.from_env()))
    return Monitor(Engine(load_model(None), rules=()), store, notifier=notifier, state=open_state(url))


def items(s3: Any, prefix: str = "") -> list[dict[str, Any]]:
    """What ItemReader s3:listObjectsV2 hands on: every object under the prefix, in key order."""
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        for obj in page.get("Contents", []):
            out.append({"Etag": obj["ETag"], "Key": obj["Key"], "LastModified": int(obj["LastModified"].timestamp()),
                        "Size": obj["Size"], "StorageClass": obj.get("StorageClass", "STANDARD")})
    return out


def batch(s3: Any, alert: bool = False, **filt: Any) -> dict[str, Any]:
    return {"BatchInput": {"bucket": BUCKET, "filter": filt, "alert": alert, "execution": "bf-test-0"},
            "Items": items(s3)}


def stored(url: str) -> list[tuple[str, str | None, int, tuple[str, ...]]]:
    return sorted((i.rule, i.event_id, i.count, i.member_event_ids) for i in open_store(url).iter_all())


def test_the_worker_stores_the_incidents_replay_store_stores_for_the_same_objects(
        s3: Any, layout: Layout, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    by_replay, by_worker = f"sqlite:///{tmp_path / 'replay.db'}", f"sqlite:///{tmp_path / 'worker.db'}"
    main(["replay", "--format", "json", "--store", by_replay, f"s3://{BUCKET}"])
    capsys.readouterr()
    summary = judge_batch(batch(s3), s3=s3, monitor=monitor(by_worker), model=load_model(None))
    assert stored(by_worker) == stored(by_replay)
    assert summary["new"] > 0 and summary["events"] == len(layout.ids())


def test_a_retried_batch_stores_nothing_new(s3: Any, layout: Layout, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    judge_batch(batch(s3), s3=s3, monitor=monitor(url), model=load_model(None))
    again = judge_batch(batch(s3), s3=s3, monitor=monitor(url), model=load_model(None))
    assert again["new"] == 0 and again["grouped"] == 0 and again["duplicate"] == again["findings"]


def test_the_filter_of_the_execution_input_is_applied_to_the_items(s3: Any, layout: Layout, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    summary = judge_batch(batch(s3, accounts=["222222222222"], since="2026-12-01"), s3=s3, monitor=monitor(url),
                          model=load_model(None))
    assert {i[1] for i in stored(url)} == layout.ids([k for k in layout.logs if "/222222222222/ap-" in
                                                      k.replace("CloudTrail/", "")])
    assert summary["skipped"]["outside the filter"] > 0


def test_bad_objects_are_named_and_counted_not_failures(s3: Any, layout: Layout, tmp_path: Path) -> None:
    summary = judge_batch(batch(s3), s3=s3, monitor=monitor(f"sqlite:///{tmp_path / 'w.db'}"), model=load_model(None))
    assert any(layout.corrupt in b for b in summary["bad"]) and any(layout.empty in b for b in summary["bad"])
    # the ItemReader lists everything under the prefix: the csv, the README and the load balancer's log
    assert summary["skipped"]["digest file"] == 1 and summary["skipped"]["non-CloudTrail object"] == 3


def test_alerts_are_off_unless_the_execution_asks(s3: Any, layout: Layout, tmp_path: Path) -> None:
    quiet, loud = Sent(), Sent()
    judge_batch(batch(s3), s3=s3, monitor=monitor(f"sqlite:///{tmp_path / 'a.db'}", quiet), model=load_model(None))
    judge_batch(batch(s3, alert=True), s3=s3, monitor=monitor(f"sqlite:///{tmp_path / 'b.db'}", loud),
                model=load_model(None))
    assert quiet.findings == [] and loud.findings


def test_an_event_that_is_not_a_batch_is_refused_by_name(s3: Any, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Distributed Map batch"):
        judge_batch({"Records": []}, s3=s3, monitor=None, model=load_model(None))


def test_the_batch_summary_is_kept_under_the_execution_with_its_counts_in_the_key(s3: Any, layout: Layout) -> None:
    s3.create_bucket(Bucket="results")
    event = batch(s3)
    write_result(s3, "results", event, {"findings": 3, "events": 9, "bad": ["s3://b/k: empty input"]})
    (kept,) = s3.list_objects_v2(Bucket="results")["Contents"]
    assert kept["Key"] == result_key("bf-test-0", event["Items"], {"findings": 3, "events": 9, "bad_count": 1})
    assert kept["Key"].startswith("backfill/bf-test-0/batches/")
    assert parse_result_key(kept["Key"])[1] == {"objects": 0, "events": 9, "findings": 3, "new": 0, "grouped": 0,
                                                "duplicate": 0, "bad_count": 1, "denied_count": 0}
    assert json.loads(s3.get_object(Bucket="results", Key=kept["Key"])["Body"].read())["findings"] == 3


def test_a_key_that_is_not_a_summary_is_not_read_as_one() -> None:
    assert parse_result_key("backfill/x/batches/abc/notes.json") is None
