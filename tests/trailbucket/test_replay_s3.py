"""``replay s3://BUCKET/PREFIX`` on moto S3: each filter selects exactly the right objects and events,
and the findings are those of ``replay`` on the same objects copied to disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.cli import main
from tests.trailbucket.bucket import BUCKET, ORG, Layout, lay_out

URL = f"s3://{BUCKET}"


def replay(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, Any]], str]:
    code = main(["replay", "--format", "json", *args])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines() if line.strip()], err


def logs(layout: Layout, *parts: str) -> list[str]:
    """The readable log keys (not the empty or broken ones) containing every part."""
    return sorted(k for k in layout.logs if all(p in k for p in parts))


def test_the_whole_bucket_gives_the_findings_replay_gives_for_the_same_files_on_disk(
        layout: Layout, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keys = [*layout.logs, layout.empty, layout.corrupt]
    layout.copy_to(tmp_path, keys)
    _, from_s3, _ = replay(capsys, URL)
    _, from_disk, _ = replay(capsys, str(tmp_path))
    assert from_s3 == from_disk
    assert {f["event_id"] for f in from_s3} == layout.ids()


def test_since_and_until_select_the_days_in_the_keys(layout: Layout, capsys: pytest.CaptureFixture[str]) -> None:
    _, found, err = replay(capsys, URL, "--since", "2026-11-20", "--until", "2026-11-20")
    assert {f["event_id"] for f in found} == layout.ids(logs(layout, "/2026/11/20/"))
    # 3 logs of 3 events, the empty and broken logs, the csv beside them, the digest, the README at the top
    assert "judged 9 events from 8 objects" in err


def test_accounts_select_those_accounts_under_the_organization_prefix(
        layout: Layout, capsys: pytest.CaptureFixture[str]) -> None:
    _, found, _ = replay(capsys, URL, "--accounts", "222222222222,333333333333")
    assert {f["event_id"] for f in found} == layout.ids(logs(layout, "/222222222222/") + logs(layout, "/333333333333/"))


def test_regions_select_those_regions(layout: Layout, capsys: pytest.CaptureFixture[str]) -> None:
    _, found, _ = replay(capsys, URL, "--regions", "eu-west-1,ap-southeast-2")
    assert {f["event_id"] for f in found} == layout.ids(logs(layout, "/eu-west-1/") + logs(layout, "/ap-southeast-2/"))


def test_filters_combine_with_a_prefix(layout: Layout, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chosen = logs(layout, "/111111111111/", "/us-east-1/", "/2026/11/19/")
    layout.copy_to(tmp_path, chosen)
    code, found, _ = replay(capsys, f"{URL}/{ORG}", "--accounts", "111111111111", "--regions", "us-east-1",
                            "--until", "2026-11-19")
    _, from_disk, _ = replay(capsys, str(tmp_path))
    assert code == 0
    assert found == from_disk
    assert {f["event_id"] for f in found} == layout.ids(chosen)


def test_pruned_folders_are_never_listed(s3: Any, layout: Layout, capsys: pytest.CaptureFixture[str]) -> None:
    listed: list[str] = []
    s3.meta.events.register("before-parameter-build.s3.ListObjectsV2",
                            lambda params, **_: listed.append(params["Prefix"]))
    from chalicelib.trailbucket.layout import TrailFilter
    from chalicelib.trailbucket.s3read import Skips, TrailBucket

    filt = TrailFilter(accounts=frozenset({"111111111111"}), regions=frozenset({"us-east-1"}))
    keys = [o.key for o in TrailBucket(s3, URL, filt, Skips(print)).objects()]
    assert not [p for p in listed if "222222222222" in p or "eu-west-1" in p or "elasticloadbalancing" in p]
    assert logs(layout, "/111111111111/", "/us-east-1/")[0] in keys


def test_digest_and_non_cloudtrail_objects_are_skipped_and_counted(
        layout: Layout, capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = replay(capsys, URL)
    assert "skipped 1 digest file, 2 non-CloudTrail objects" in err


def test_a_corrupted_gz_and_an_empty_object_are_named_and_the_rest_is_judged(
        layout: Layout, capsys: pytest.CaptureFixture[str]) -> None:
    code, found, err = replay(capsys, URL)
    assert code == 1
    assert f"{URL}/{layout.corrupt}: cannot read" in err
    assert f"{URL}/{layout.empty}: empty input" in err
    assert {f["event_id"] for f in found} == layout.ids()


def test_an_object_denied_is_named_the_rest_is_judged_and_the_exit_status_says_so(
        s3: Any, layout: Layout, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    denied = logs(layout, "/222222222222/")[0]
    refuse(monkeypatch, "GetObject", lambda params: params["Key"] == denied)
    code, found, err = replay(capsys, URL)
    assert code == 1
    assert f"skipped: {URL}/{denied}: access denied reading this object" in err
    assert {f["event_id"] for f in found} == layout.ids([k for k in layout.logs if k != denied])


def test_a_prefix_denied_is_named_and_the_rest_is_judged(
        layout: Layout, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    refuse(monkeypatch, "ListObjectsV2", lambda params: "/222222222222/" in params["Prefix"])
    code, found, err = replay(capsys, URL)
    assert code == 1
    assert f"skipped: {URL}/{ORG}222222222222/: access denied listing this prefix" in err
    assert {f["event_id"] for f in found} == layout.ids([k for k in layout.logs if "/222222222222/" not in k])


def test_a_missing_bucket_is_one_error_line_and_exit_2(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = replay(capsys, "s3://no-such-trail-bucket/AWSLogs/")
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: ") and "does not exist" in err


def test_store_twice_stores_nothing_new(layout: Layout, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = f"sqlite:///{tmp_path / 'incidents.db'}"
    _, _, first = replay(capsys, URL, "--store", store)
    _, _, second = replay(capsys, URL, "--store", store)
    assert ": 0 new incidents" not in first
    assert ": 0 new incidents, 0 grouped into open incidents" in second


def test_filters_on_local_paths_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = replay(capsys, str(tmp_path), "--accounts", "111111111111")
    assert code == 2 and "apply to s3:// URLs" in err


def test_mixing_local_paths_and_s3_urls_is_one_error_line_naming_replay_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = replay(capsys, str(tmp_path), URL)
    assert code == 2
    assert err == "error: replay: reads s3:// URLs, local paths or --event-history, one kind at a time\n"


def refuse(monkeypatch: pytest.MonkeyPatch, operation: str, when: Any) -> None:
    """Make every S3 client refuse ``operation`` (AccessDenied, as S3 answers) when ``when(params)``.

    The CLI builds its own client, so the refusal is hooked on boto3's session event system,
    which every client it creates inherits: a real botocore ClientError, nothing of ours replaced.
    """
    import boto3

    session = boto3.session.Session()
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", session)

    def deny(params: dict[str, Any], **_: Any) -> None:
        if when(params):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, operation)

    session.events.register(f"before-parameter-build.s3.{operation}", deny)


UNSEEN = [  # accounts, regions and days the other tests never use, under a second organization id
    ("AWSLogs/o-zz9y8x7w6v/", "444455556666", "il-central-1", "2025/02/28"),
    ("AWSLogs/o-zz9y8x7w6v/", "444455556666", "il-central-1", "2025/03/01"),
    ("AWSLogs/o-zz9y8x7w6v/", "444455556666", "sa-east-1", "2025/03/01"),
    ("AWSLogs/o-zz9y8x7w6v/", "777788889999", "il-central-1", "2025/03/01"),
    ("AWSLogs/o-zz9y8x7w6v/", "777788889999", "il-central-1", "2025/03/02"),
]


def test_all_three_filters_on_unseen_keys_select_what_copying_those_folders_would(
        s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    unseen = lay_out(s3, "held-out-trail", UNSEEN)
    chosen = sorted(k for k in unseen.logs if "/444455556666/" in k and "/il-central-1/" in k and "/2025/03/01/" in k)
    unseen.copy_to(tmp_path, chosen)
    code, found, err = replay(capsys, "s3://held-out-trail/AWSLogs/", "--since", "2025-03-01", "--until",
                              "2025-03-01", "--accounts", "444455556666", "--regions", "il-central-1")
    _, from_disk, _ = replay(capsys, str(tmp_path))
    assert found == from_disk and {f["event_id"] for f in found} == unseen.ids(chosen)
    assert code == 0 and "judged 3 events from 1 object" in err  # "object" or "objects"


def test_the_url_itself_denied_is_one_error_line_and_exit_2(
        layout: Layout, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    refuse(monkeypatch, "ListObjectsV2", lambda params: params["Prefix"] == "AWSLogs/")
    code, found, err = replay(capsys, f"{URL}/AWSLogs/")
    assert code == 2 and found == []
    assert err.startswith("error: access denied calling s3:ListBucket (AccessDenied)") and err.count("\n") == 1
