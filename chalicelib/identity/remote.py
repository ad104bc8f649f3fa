"""The identity model as configuration: ``TRAILWARDEN_MODEL=s3://BUCKET/KEY`` (issue 14).

The monitor reads the model from a versioned bucket, at most once per TTL (default 5 minutes)
and only when it changed (``IfNoneMatch`` on the ETag: an unchanged model costs a 304). A new
version that fails validation is not used: the last good model keeps judging (the bundled one
when no version was ever valid, as before anything is published: the monitor never stops
judging), and the bad version is reported once as a ``model-invalid`` finding naming the version
and its first errors.
``publish`` validates before it uploads, so a model that does not load never reaches the bucket.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.errors import ConfigError, ModelError
from chalicelib.findings import Finding, Severity
from chalicelib.identity.loader import DEFAULT_MODEL, load_model, parse_model
from chalicelib.identity.model import IdentityModel

DEFAULT_TTL = timedelta(minutes=5)
BUNDLED = "bundled"  # the version name of the model shipped in the package (used until one is published)
S3_URL = re.compile(r"^s3://([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])/(.+)$")
RUNBOOK = ("A new identity model version failed validation and was not loaded; the previous version still judges. "
           "Run `python -m chalicelib model check --model FILE`, fix it, and publish it again with "
           "`python -m chalicelib model publish`.")


def parse_url(url: str, where: str = "TRAILWARDEN_MODEL") -> tuple[str, str]:
    match = S3_URL.match(url or "")
    if not match:
        raise ConfigError(f"{url!r} is not an s3://BUCKET/KEY URL (a bucket name is 3-63 lowercase letters, "
                          "digits, dots and hyphens; the key names the file)", where)
    return match.group(1), match.group(2)


def is_remote(source: str | None) -> bool:
    return bool(source) and str(source).startswith("s3://")


@dataclass(frozen=True)
class Loaded:
    model: IdentityModel
    version: str  # the S3 VersionId (the ETag when the bucket is not versioned)
    etag: str


@dataclass(frozen=True)
class Rejected:
    version: str
    errors: tuple[str, ...]


class S3Model:
    """The newest valid model at ``s3://BUCKET/KEY``, polled at most once per ``ttl``."""

    def __init__(self, url: str, client: Any = None, ttl: timedelta = DEFAULT_TTL,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.url = url
        self.bucket, self.key = parse_url(url)
        self._client = client
        self.ttl = ttl
        self.clock = clock
        self.current: Loaded | None = None
        self.rejected: list[Rejected] = []  # invalid versions not yet reported (drained by the caller)
        self._seen_bad: set[str] = set()
        self._checked: datetime | None = None

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("s3")
        return self._client

    def model(self) -> IdentityModel:
        """The model to judge with now (ModelError only if even the bundled model cannot load)."""
        now = self.clock()
        if self.current is None or self._checked is None or now - self._checked >= self.ttl:
            self._checked = now
            self._poll()
        if self.current is None:
            bad = self.rejected[-1] if self.rejected else None
            raise ModelError(list(bad.errors) if bad else ["no valid model"], self.url)
        return self.current.model

    def _poll(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        from chalicelib.awserrors import aws_error

        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": self.key}
        if self.current is not None and self.current.etag:
            kwargs["IfNoneMatch"] = self.current.etag
        try:
            obj = self.client.get_object(**kwargs)
        except ClientError as err:
            status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 304 or err.response.get("Error", {}).get("Code") in ("304", "NotModified"):
                return
            if self.current is not None:  # S3 unreachable: keep judging with the last good model
                return
            if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):  # nothing published yet
                self.current = _bundled()
                return
            raise aws_error(err, action="s3:GetObject", resource=f"the model {self.url}") or err from None
        except BotoCoreError as err:  # no credentials or region, unreachable: say which model was being read
            if self.current is not None:
                return
            raise aws_error(err, action=f"s3:GetObject of the model {self.url}") or err from None
        etag = str(obj.get("ETag", "")).strip('"')
        version = str(obj.get("VersionId") or etag)
        if self.current is not None and etag == self.current.etag:
            return
        text = obj["Body"].read().decode("utf-8", errors="replace")
        try:
            model = parse_model(text, source=f"{self.url}@{version}")
        except ModelError as err:
            if version not in self._seen_bad:
                self._seen_bad.add(version)
                self.rejected.append(Rejected(version, tuple(err.errors[:3])))
            if self.current is None:  # never a valid version (written without `model publish`): as if unpublished
                self.current = _bundled()
            return
        self.current = Loaded(model, version, etag)


def _bundled() -> Loaded:
    """The model shipped in the package (not $TRAILWARDEN_MODEL: that is the bucket's URL)."""
    return Loaded(load_model(DEFAULT_MODEL), BUNDLED, "")


def invalid_finding(url: str, bad: Rejected, kept: str | None, now: datetime) -> Finding:
    """``model-invalid``: which version was refused, its first errors, and which version still judges."""
    errors = "; ".join(bad.errors) or "invalid model"
    still = f" Version {kept} still judges." if kept else ""
    return Finding(
        rule="model-invalid", severity=Severity.HIGH, title="Identity model version refused",
        principal_arn=None, principal=None, target_arn=None, event_id=None, event_name=None, event_source=None,
        event_time=now.strftime("%Y-%m-%dT%H:%M:%SZ"), account=None, region=None, source_ip=None, user_agent=None,
        breaks=None, runbook=RUNBOOK, reason=f"Model version {bad.version} of {url} is invalid: {errors}.{still}",
        group_key=f"model-invalid:{bad.version}", details={"model_url": url, "model_s3_version": bad.version,
                                                            "errors": list(bad.errors)})


def publish(model_file: str, url: str, client: Any = None) -> str:
    """Validate ``model_file`` (raises ModelError, uploading nothing) and put it at ``url``; returns the version."""
    bucket, key = parse_url(url, "--to")
    load_model(model_file)
    from pathlib import Path

    body = Path(model_file).read_bytes()
    if client is None:
        import boto3

        client = boto3.client("s3")
    try:
        result = client.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/yaml")
    except Exception as err:  # noqa: BLE001 - botocore errors, named with the URL; others re-raised as they were
        from chalicelib.awserrors import aws_error

        raise aws_error(err, action="s3:PutObject", resource=f"the bucket of {url}") or err from None
    return str(result.get("VersionId") or str(result.get("ETag", "")).strip('"'))
