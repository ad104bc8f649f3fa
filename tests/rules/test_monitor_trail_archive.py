"""monitor-trail-tampered on the trail's archive: its declared S3 bucket and KMS key.

EventBridge keeps delivering events when CloudTrail cannot write its log files, so the heartbeat
never notices these; only the calls do. The bucket and key are declared in settings
(``TRAILWARDEN_TRAIL_BUCKETS``, ``TRAILWARDEN_TRAIL_KEYS``), never guessed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.engine import Engine
from chalicelib.findings import Finding, Severity
from chalicelib.identity import load_model
from chalicelib.rules.monitor_trail_tampered import MonitorTrailTampered
from chalicelib.watch.own import OwnResources
from chalicelib.watch.routing import blinding_pattern

from .conftest import Replace, record, replay_twice, to_event

RULE = "monitor-trail-tampered"
ACCT = "630287363158"
BUCKET = f"acme-cloudtrail-logs-{ACCT}"
KEY = f"arn:aws:kms:us-east-1:{ACCT}:key/5c7e9a1b-3d5f-4b7d-9f1b-3d5f7b9d1f35"
DECLARED = {"TRAILWARDEN_STAGE": "prod", "TRAILWARDEN_TRAIL_BUCKETS": BUCKET, "TRAILWARDEN_TRAIL_KEYS": KEY}
RECORDS = Path(__file__).resolve().parents[1] / "fixtures" / "records"


def judged(doc: dict[str, Any], env: dict[str, str] = DECLARED) -> Finding | None:
    engine = Engine(load_model(None), rules=[MonitorTrailTampered(own=OwnResources.from_env(env))])
    findings = engine.judge(to_event(doc))
    return findings[0] if findings else None


def test_a_bucket_policy_on_the_trails_declared_bucket_is_high_and_says_the_heartbeat_cannot_see_it():
    f = judged(record("s3-put-bucket-policy-trail-bucket.json"))
    assert f is not None and f.rule == RULE and f.severity is Severity.HIGH
    assert BUCKET in f.reason and "heartbeat, is not affected" in f.breaks


def test_deleting_the_trail_buckets_policy_is_critical():
    f = judged(record("s3-put-bucket-policy-trail-bucket.json", eventName="DeleteBucketPolicy",
                      requestParameters=Replace({"bucketName": BUCKET, "Host": f"{BUCKET}.s3.amazonaws.com",
                                                 "policy": [""]})))
    assert f is not None and f.severity is Severity.CRITICAL


def test_a_bucket_policy_on_another_bucket_is_not_a_finding():
    doc = record("s3-put-bucket-policy-trail-bucket.json", requestParameters={"bucketName": "payments-assets"})
    assert judged(doc) is None


def test_without_a_declared_bucket_no_bucket_is_the_trails():
    assert judged(record("s3-put-bucket-policy-trail-bucket.json"), {"TRAILWARDEN_STAGE": "prod"}) is None


def test_disabling_the_trails_key_is_critical_by_arn_or_by_bare_key_id():
    assert (f := judged(record("kms-disable-key-trail-key.json"))) is not None and f.severity is Severity.CRITICAL
    bare = record("kms-disable-key-trail-key.json", requestParameters={"keyId": KEY.rsplit("/", 1)[1]},
                  resources=Replace([]))
    assert judged(bare) is not None


def test_disabling_another_key_is_not_a_finding():
    other = f"arn:aws:kms:us-east-1:{ACCT}:key/00000000-1111-2222-3333-444444444444"
    doc = record("kms-disable-key-trail-key.json", requestParameters={"keyId": other},
                 resources=Replace([{"accountId": ACCT, "type": "AWS::KMS::Key", "ARN": other}]))
    assert judged(doc) is None


def test_the_blinding_family_routes_the_declared_buckets_calls_only(monkeypatch: pytest.MonkeyPatch):
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    assert "s3.amazonaws.com" not in json.dumps(blinding_pattern({}))
    with mock_aws():
        events, sqs = boto3.client("events", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="blinding")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="trailwarden-prod-blinding", State="ENABLED",
                        EventPattern=json.dumps(blinding_pattern({"TRAILWARDEN_TRAIL_BUCKETS": BUCKET})))
        events.put_targets(Rule="trailwarden-prod-blinding", Targets=[{"Id": "blinding", "Arn": arn}])
        for doc, expected in ((record("s3-put-bucket-policy-trail-bucket.json"), 1),
                              (record("s3-put-bucket-policy-trail-bucket.json",
                                      requestParameters={"bucketName": "payments-assets"}), 0)):
            events.put_events(Entries=[{"Source": "aws.s3", "DetailType": "AWS API Call via CloudTrail",
                                        "Detail": json.dumps(doc)}])
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            for message in got:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            assert len(got) == expected


def test_replay_gives_the_same_output_with_and_without_the_memo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("TRAILWARDEN_TRAIL_BUCKETS", BUCKET)
    monkeypatch.setenv("TRAILWARDEN_TRAIL_KEYS", KEY)
    names = ("s3-put-bucket-policy-trail-bucket.json", "kms-disable-key-trail-key.json")
    with_memo, without = replay_twice([json.loads((RECORDS / n).read_text()) for n in names] * 2, tmp_path, capsys)
    assert with_memo == without
    assert [json.loads(line)["rule"] for line in with_memo.splitlines()].count(RULE) == 4


def test_the_blinding_pattern_routes_exactly_the_bucket_calls_the_rule_judges() -> None:
    from chalicelib.watch.archive import BUCKET_CALLS
    from chalicelib.watch.pipeline import TRAIL_BUCKET_CALLS

    assert set(TRAIL_BUCKET_CALLS) == set(BUCKET_CALLS)
