"""The model from S3: validated publish, ETag-conditional polling with a TTL, last good model kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib import runtime
from chalicelib.cli import main
from chalicelib.errors import AwsError, ConfigError, ModelError
from chalicelib.identity.loader import DEFAULT_MODEL
from chalicelib.identity.remote import S3Model, publish
from chalicelib.settings import Settings

URL = "s3://trailwarden-models/identity_model.yaml"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
INVALID = "version: 1\naccounts:\n  - id: 1234\n    name: prod\n"


class Counting:
    """An S3 client that counts GetObject calls (the real client underneath)."""

    def __init__(self, client: Any) -> None:
        self.client, self.gets = client, 0

    def get_object(self, **kw: Any) -> Any:
        self.gets += 1
        return self.client.get_object(**kw)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def s3(aws: None) -> Any:
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket="trailwarden-models")
    client.put_bucket_versioning(Bucket="trailwarden-models", VersioningConfiguration={"Status": "Enabled"})
    return client


def write(tmp_path: Path, text: str, name: str = "model.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_publish_refuses_an_invalid_model_and_uploads_nothing(s3: Any, tmp_path: Path) -> None:
    with pytest.raises(ModelError):
        publish(str(write(tmp_path, INVALID)), URL, s3)
    assert s3.list_objects_v2(Bucket="trailwarden-models").get("KeyCount") == 0


def test_publish_to_a_bucket_that_does_not_exist_names_the_url(s3: Any) -> None:
    with pytest.raises(AwsError, match=r"^the bucket of s3://no-such-bucket/m.yaml does not exist \(NoSuchBucket\)"):
        publish(str(DEFAULT_MODEL), "s3://no-such-bucket/m.yaml", s3)


def test_a_published_model_is_loaded_with_its_version(s3: Any) -> None:
    version = publish(str(DEFAULT_MODEL), URL, s3)
    source = S3Model(URL, s3)
    assert source.model().spec.accounts and source.current is not None and source.current.version == version


def test_within_the_ttl_the_bucket_is_not_read_again(s3: Any) -> None:
    publish(str(DEFAULT_MODEL), URL, s3)
    client, clock = Counting(s3), Clock()
    source = S3Model(URL, client, clock=clock)
    source.model()
    clock.now += timedelta(minutes=4)
    source.model()
    assert client.gets == 1
    clock.now += timedelta(minutes=2)
    first = source.model()
    assert client.gets == 2 and source.model() is first  # unchanged ETag: the same model object


def test_an_invalid_new_version_keeps_the_last_good_model_and_is_reported_once(s3: Any, tmp_path: Path) -> None:
    good = publish(str(DEFAULT_MODEL), URL, s3)
    clock = Clock()
    source = S3Model(URL, s3, clock=clock)
    model = source.model()
    bad = s3.put_object(Bucket="trailwarden-models", Key="identity_model.yaml", Body=INVALID.encode())["VersionId"]
    clock.now += timedelta(minutes=6)
    assert source.model() is model
    (rejected,) = source.rejected
    assert rejected.version == bad and "accounts[0].id" in rejected.errors[0]
    clock.now += timedelta(minutes=6)
    source.model()
    assert len(source.rejected) == 1 and source.current is not None and source.current.version == good


def test_the_monitor_raises_model_invalid_naming_the_version_and_keeps_judging(s3: Any, tmp_path: Path) -> None:
    publish(str(DEFAULT_MODEL), URL, s3)
    mon = runtime.build_monitor(Settings(model_path=URL, store_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
                                         slack_enabled=False, routing="critical=;high=;medium=;low=;info="))
    judged_by = mon.engine.model
    bad = s3.put_object(Bucket="trailwarden-models", Key="identity_model.yaml", Body=INVALID.encode())["VersionId"]
    mon.model_source.ttl = timedelta(0)
    runtime.refresh_model(mon, NOW)
    runtime.refresh_model(mon, NOW)
    (incident,) = list(mon.store.iter_all())
    assert (incident.rule, incident.severity.label) == ("model-invalid", "high")
    assert f"Model version {bad} of {URL} is invalid" in incident.reason
    assert mon.engine.model is judged_by


def test_an_invalid_first_version_leaves_the_bundled_model_judging_and_is_reported_once(s3: Any) -> None:
    bad = s3.put_object(Bucket="trailwarden-models", Key="identity_model.yaml", Body=INVALID.encode())["VersionId"]
    clock = Clock()
    source = S3Model(URL, s3, clock=clock)
    assert source.model().spec.accounts and source.current is not None and source.current.version == "bundled"
    (rejected,) = source.rejected
    assert rejected.version == bad
    clock.now += timedelta(minutes=6)
    source.model()
    assert len(source.rejected) == 1


def test_the_monitor_keeps_handling_events_when_the_only_published_version_is_invalid(
        s3: Any, tmp_path: Path) -> None:
    bad = s3.put_object(Bucket="trailwarden-models", Key="identity_model.yaml", Body=INVALID.encode())["VersionId"]
    mon = runtime.build_monitor(Settings(model_path=URL, store_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
                                         slack_enabled=False, routing="critical=;high=;medium=;low=;info="))
    runtime.refresh_model(mon, NOW)
    (incident,) = list(mon.store.iter_all())
    assert incident.rule == "model-invalid" and f"Model version {bad}" in incident.reason
    assert "Version bundled still judges." in incident.reason


def test_a_new_valid_version_replaces_the_model(s3: Any, tmp_path: Path) -> None:
    publish(str(DEFAULT_MODEL), URL, s3)
    mon = runtime.build_monitor(Settings(model_path=URL, store_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
                                         slack_enabled=False, routing="critical=;high=;medium=;low=;info="))
    text = DEFAULT_MODEL.read_text().replace("name: management", "name: mgmt")
    publish(str(write(tmp_path, text)), URL, s3)
    mon.model_source.ttl = timedelta(0)
    runtime.refresh_model(mon, NOW)
    assert mon.account_names["630287363158"] == "mgmt"


def test_a_model_url_that_is_not_s3_bucket_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="TRAILWARDEN_MODEL: 's3://bucket' is not an s3://BUCKET/KEY URL"):
        S3Model("s3://bucket")


def test_a_model_bucket_that_does_not_exist_is_named_when_nothing_was_ever_loaded(s3: Any) -> None:
    with pytest.raises(AwsError, match=r"^the model s3://no-such-bucket/identity_model.yaml does not exist "
                                       r"\(NoSuchBucket\)"):
        S3Model("s3://no-such-bucket/identity_model.yaml", client=s3).model()


def test_a_model_url_with_an_uppercase_bucket_says_what_a_bucket_name_may_hold() -> None:
    with pytest.raises(ConfigError, match="is not an s3://BUCKET/KEY URL \\(a bucket name is 3-63 lowercase"):
        S3Model("s3://BUCKET/identity_model.yaml")


def test_model_publish_command_refuses_an_invalid_file_with_exit_two(tmp_path: Path, capsys: Any) -> None:
    assert main(["model", "publish", "--model", str(write(tmp_path, INVALID)), "--to", URL]) == 2
    assert "accounts[0].id" in capsys.readouterr().err


def test_until_a_model_is_published_the_bundled_one_judges_and_then_the_published_one(s3: Any) -> None:
    clock = Clock()
    source = S3Model(URL, s3, clock=clock)
    assert source.model().spec.accounts and source.current is not None and source.current.version == "bundled"
    version = publish(str(DEFAULT_MODEL), URL, s3)
    clock.now += timedelta(minutes=5)
    source.model()
    assert source.current.version == version


def test_the_bundled_model_judges_until_one_is_published_while_trailwarden_model_names_the_bucket(
        s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAILWARDEN_MODEL", URL)  # as the org stage's functions have it
    source = S3Model(URL, s3)
    assert source.model().spec.accounts and source.current is not None and source.current.version == "bundled"


def test_a_command_reads_the_published_model_when_trailwarden_model_is_an_s3_url(
        s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    publish(str(DEFAULT_MODEL), URL, s3)
    monkeypatch.setenv("TRAILWARDEN_MODEL", URL)
    assert main(["model", "check", "--offline"]) == 0
    assert f"{URL}@" in capsys.readouterr().err
