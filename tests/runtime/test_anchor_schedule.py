"""The daily schedule publishes the chain head to the Object Lock bucket named by TRAILWARDEN_ANCHORS."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from chalicelib import runtime
from chalicelib.incidents.anchor import store_head

from .conftest import NOW, Installed, story

BUCKET = "trailwarden-anchors-test"


@pytest.fixture
def anchors(installed: Installed, monkeypatch: pytest.MonkeyPatch, fresh_settings: None) -> Iterator[str]:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=BUCKET, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}}})
    monkeypatch.setenv("TRAILWARDEN_ANCHORS", f"s3://{BUCKET}/heads/")
    runtime.settings.cache_clear()
    yield BUCKET


def test_the_daily_audit_writes_the_head_after_storing_its_findings(installed: Installed, ci_user_in_iam: str,
                                                                    anchors: str) -> None:
    runtime.handle_cloudtrail(story("04-root-deletes-ci-user.eventbridge.json"), "iam")
    summary = runtime.run_scheduled_audit(now=NOW)
    head = store_head(installed.store)
    key = summary["anchor"].removeprefix(f"s3://{anchors}/")
    body = json.loads(boto3.client("s3").get_object(Bucket=anchors, Key=key)["Body"].read())
    assert (body["seq"], body["hash"]) == (head.seq, head.hash)
    assert body["time"] == NOW.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_published_head_is_locked_in_compliance_mode(installed: Installed, ci_user_in_iam: str,
                                                         anchors: str) -> None:
    key = runtime.run_scheduled_audit(now=NOW)["anchor"].removeprefix(f"s3://{anchors}/")
    assert boto3.client("s3").head_object(Bucket=anchors, Key=key)["ObjectLockMode"] == "COMPLIANCE"


def test_without_an_anchor_bucket_the_audit_publishes_nothing(installed: Installed, ci_user_in_iam: str,
                                                              fresh_settings: None) -> None:
    assert runtime.run_scheduled_audit(now=NOW)["anchor"] is None
