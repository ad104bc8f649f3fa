"""The deployed entry point: ``app.backfill_worker`` through Chalice (middleware included), on moto S3.

The runtime wiring is the handlers' own (``runtime.build_monitor``) on a SQLite incident log;
the batch is the shape a Distributed Map sends (moto cannot run one, see test_worker.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

import app as app_module
from chalicelib import runtime
from chalicelib.settings import Settings
from tests.backfill.test_worker import batch
from tests.trailbucket.bucket import Layout


@pytest.fixture
def local_runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'incidents.db'}"
    runtime.use(runtime.build_monitor(Settings(store_url=url, topic_arn=None, stage="test")))
    results = "backfill-results"
    monkeypatch.setenv("TRAILWARDEN_BACKFILL_RESULTS", results)
    yield results
    runtime.use(None)


def test_the_lambda_judges_a_batch_and_keeps_its_summary_for_status(
        s3: Any, layout: Layout, local_runtime: str) -> None:
    s3.create_bucket(Bucket=local_runtime)
    with Client(app_module.app) as client:
        summary = client.lambda_.invoke("backfill_worker", batch(s3)).payload
    assert summary["events"] == len(layout.ids()) and summary["new"] > 0
    kept = s3.list_objects_v2(Bucket=local_runtime, Prefix="backfill/bf-test-0/batches/")["KeyCount"]
    assert kept == 1
