"""``incidents verify``: the full head hash, ``--format json``, ``--expect-head`` and ``--anchors s3://`` on moto.

The log is the seed story replayed into SQLite; the anchors are written by the daily schedule's
own function (``runtime.publish_head``) into a moto bucket with Object Lock in compliance mode.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from chalicelib.cli import main
from chalicelib.incidents import open_store
from chalicelib.incidents.anchor import Anchor, S3Anchors
from chalicelib.incidents.chain import GENESIS_HASH
from chalicelib.runtime import publish_head
from chalicelib.settings import Settings

STORY = Path(__file__).resolve().parents[2] / "examples" / "story"
BUCKET = "trailwarden-anchors-cli"
ANCHORS = f"s3://{BUCKET}/heads/"
DAY1 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
DAY2 = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
        client.put_object_lock_configuration(Bucket=BUCKET, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 30}}})
        yield client


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The seed story replayed into a fresh SQLite log (story files 01-05 first, 06-07 after)."""
    path = tmp_path / "incidents.db"
    code, _, err = run(capsys, "replay", "--format", "json", "--store", f"sqlite:///{path}",
                       *(str(p) for p in sorted(STORY.iterdir())[:5]))
    assert code == 0, err
    return path


def store_url(db: Path) -> str:
    return f"sqlite:///{db}"


def extend(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "replay", "--format", "json", "--store", store_url(db),
                       *(str(p) for p in sorted(STORY.iterdir())[5:]))
    assert code == 0, err


def anchor_day(db: Path, when: datetime) -> str:
    return str(publish_head(open_store(store_url(db)), Settings(anchors=ANCHORS, store_url=store_url(db)), when))


def rewrite_whole_log(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What someone with write access to the table can do: a new, self-consistent log."""
    with sqlite3.connect(db) as conn:
        for table in ("incidents", "dedup", "chain", "open_groups"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute(f"UPDATE chain_head SET seq = 0, hash = '{GENESIS_HASH}'")
    code, _, err = run(capsys, "replay", "--format", "json", "--store", store_url(db),
                       *(str(p) for p in sorted(STORY.iterdir())[1:]))  # the root sign-in left out
    assert code == 0, err


def verify(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> tuple[int, str, str]:
    return run(capsys, "incidents", "--store", store_url(db), "verify", *args)


def test_verify_prints_the_full_head_hash(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = verify(capsys, db)
    head = open_store(store_url(db)).verify()
    assert code == 0
    assert re.search(rf"head seq {head.head_seq} hash {head.head_hash}$", out.strip())


def test_verify_json_carries_the_head_and_the_verdict(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = verify(capsys, db, "--format", "json")
    doc = json.loads(out)
    assert code == 0
    assert (doc["ok"], len(doc["head_hash"]), doc["anchors"]) == (True, 64, None)


def test_expect_head_passes_for_an_earlier_published_head(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    published = json.loads(verify(capsys, db, "--format", "json")[1])["head_hash"]
    extend(db, capsys)
    assert verify(capsys, db, "--expect-head", published)[0] == 0


def test_one_expected_head_reads_as_english(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    published = json.loads(verify(capsys, db, "--format", "json")[1])["head_hash"]
    code, out, _ = verify(capsys, db, "--expect-head", published)
    assert code == 0 and out.splitlines()[-1] == "ok: the log extends 1 published head"


def test_expect_head_fails_after_the_log_was_rewritten(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    published = json.loads(verify(capsys, db, "--format", "json")[1])["head_hash"]
    rewrite_whole_log(db, capsys)
    code, out, _ = verify(capsys, db, "--expect-head", published)
    assert code == 1
    assert out.splitlines()[0].startswith("ok:")  # the chain alone looks fine
    assert "TAMPERED: the log does not extend anchored head" in out


def test_expect_head_that_is_not_a_hash_is_one_error_line(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = verify(capsys, db, "--expect-head", "abc123")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "64 hex" in err


def test_verify_passes_against_every_daily_anchor(s3: object, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    anchor_day(db, DAY1)
    extend(db, capsys)
    anchor_day(db, DAY2)
    code, out, _ = verify(capsys, db, "--anchors", ANCHORS)
    assert code == 0, out
    assert "the log extends 2 published heads" in out


def test_a_rewrite_of_the_whole_log_is_caught_against_the_anchors(s3: object, db: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    anchor_day(db, DAY1)
    rewrite_whole_log(db, capsys)
    code, out, _ = verify(capsys, db, "--anchors", ANCHORS, "--format", "json")
    doc = json.loads(out)
    assert code == 1
    assert (doc["chain_ok"], doc["ok"], doc["anchors"]["ok"]) == (True, False, False)
    assert "chain was rewritten" in doc["anchors"]["problem"]


def test_overwriting_an_anchor_with_the_forged_head_hides_nothing(s3: object, db: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    key = anchor_day(db, DAY1).removeprefix(f"s3://{BUCKET}/")
    rewrite_whole_log(db, capsys)
    forged = open_store(store_url(db)).verify()
    s3.put_object(Bucket=BUCKET, Key=key, Body=Anchor(forged.head_seq, forged.head_hash, "x").to_json(),  # type: ignore[attr-defined]
                  ChecksumAlgorithm="SHA256")
    assert verify(capsys, db, "--anchors", ANCHORS)[0] == 1


def test_an_anchor_cannot_be_deleted_while_locked(s3: object, db: Path) -> None:
    from botocore.exceptions import ClientError

    key = anchor_day(db, DAY1).removeprefix(f"s3://{BUCKET}/")
    [(_, version)] = list(S3Anchors(BUCKET, "heads/", client=s3).versions())
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.delete_object(Bucket=BUCKET, Key=key, VersionId=version)  # type: ignore[attr-defined]


def test_a_prefix_with_no_anchors_fails(s3: object, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = verify(capsys, db, "--anchors", f"s3://{BUCKET}/elsewhere/")
    assert code == 1
    assert "no anchored heads under" in out


def test_a_missing_bucket_is_one_error_line(s3: object, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = verify(capsys, db, "--anchors", "s3://no-such-anchor-bucket/heads/")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "does not exist" in err
