"""The packaged anchor bucket: Object Lock in compliance mode, written only by the daily audit, PutObject only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import Packaged


def _bucket(pkg: Packaged) -> dict[str, Any]:
    return pkg.resources["AnchorBucket"]


def _s3_statements(pkg: Packaged) -> dict[str, list[dict[str, Any]]]:
    """Role id → its Allow statements that grant any S3 action."""
    out: dict[str, list[dict[str, Any]]] = {}
    for role_id, role in pkg.of_type("AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                if statement["Effect"] == "Allow" and any(a.startswith("s3:") for a in actions):
                    out.setdefault(role_id, []).append(statement)
    return out


@pytest.mark.parametrize(("stage", "days"), [("prod", 400), ("dev", 30)])
def test_the_anchor_bucket_locks_heads_in_compliance_mode_for_the_log_retention(
        request: pytest.FixtureRequest, stage: str, days: int) -> None:
    props = _bucket(request.getfixturevalue(stage))["Properties"]
    assert props["ObjectLockEnabled"] is True
    assert props["ObjectLockConfiguration"] == {"ObjectLockEnabled": "Enabled", "Rule": {
        "DefaultRetention": {"Mode": "COMPLIANCE", "Days": days}}}
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}


def test_the_anchor_bucket_is_private_encrypted_and_retained(prod: Packaged) -> None:
    bucket = _bucket(prod)
    assert all(bucket["Properties"]["PublicAccessBlockConfiguration"].values())
    assert bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_only_the_daily_audit_may_write_and_only_put_heads(prod: Packaged) -> None:
    # Other buckets' grants (the backfill's trail and results buckets) are tested with them.
    grants = {role: anchor for role, statements in _s3_statements(prod).items()
              if (anchor := [s for s in statements if "AnchorBucket" in json.dumps(s["Resource"])])}
    assert list(grants) == ["DailyAuditRole"]
    (statement,) = grants["DailyAuditRole"]
    assert statement["Action"] == "s3:PutObject"
    assert statement["Resource"] == {"Fn::Sub": "${AnchorBucket.Arn}/heads/*"}


def test_every_function_is_told_where_the_anchors_are(prod: Packaged) -> None:
    for function_id, function in prod.functions().items():
        env = function["Properties"]["Environment"]["Variables"]
        assert env["TRAILWARDEN_ANCHORS"] == {"Fn::Sub": "s3://${AnchorBucket}/heads/"}, function_id
