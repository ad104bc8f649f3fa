"""Read a trail bucket in place: list it pruned by key, stream each log object through the reader.

Nothing is copied to disk and nothing is held whole: an object's body is read through a
buffered window (``CHUNK``), gunzipped on the fly, and handed to the same line reader as a
local file (``sources.stream_batches``), so findings are the ones ``replay`` of the same
files on disk prints, in the same (key) order. Listing goes one folder level at a time with a
``/`` delimiter, so a filter on days, accounts or regions skips whole folders without listing
what is inside them. A folder or object that cannot be read (access denied, deleted meanwhile)
is reported with its key and the rest goes on; any other AWS failure stops the run.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from chalicelib.awserrors import ACCESS_DENIED, NOT_FOUND, aws_error, error_code
from chalicelib.errors import AwsError, ConfigError
from chalicelib.sources import BATCH, Batch, QuietLines, decoded, stream_batches
from chalicelib.trailbucket.layout import TrailFilter, classify, folders_after_marker, wanted

CHUNK = 256 * 1024  # bytes asked of S3's stream at a time (one buffer per open object)


def parse_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` → (bucket, prefix)."""
    if not url.startswith("s3://") or not url[5:].split("/", 1)[0]:
        raise ConfigError("expected s3://BUCKET[/PREFIX]", url)
    bucket, _, prefix = url[5:].partition("/")
    return bucket, prefix


class BodyReader(io.RawIOBase):
    """An S3 ``StreamingBody`` as a raw stream, so ``io.BufferedReader`` gives it ``peek``/``readline``;
    counts the (compressed) bytes read, and turns a broken connection into an ``OSError``."""

    def __init__(self, body: Any) -> None:
        self.body = body
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self.body.read(len(buffer))
        except Exception as err:  # botocore's ResponseStreamingError, urllib3's ProtocolError...
            raise OSError(f"the S3 stream broke: {err}") from err
        n = len(data)
        buffer[:n] = data
        self.consumed += n
        return n

    def close(self) -> None:
        self.body.close()
        super().close()


@dataclass(frozen=True)
class Listed:
    """One object the listing kept: where it is, its size, and what it is (``layout.classify``)."""

    key: str
    size: int
    kind: str


@dataclass
class Skips:
    """What could not be read, by key: reported as it happens, counted for the exit status."""

    say: Callable[[str], None]
    denied: list[str] = field(default_factory=list)

    def add(self, url: str, why: str) -> None:
        self.denied.append(url)
        self.say(f"skipped: {url}: {why}")


class TrailBucket:
    """One ``s3://BUCKET/PREFIX`` under a filter: its objects, then its batches of events."""

    def __init__(self, client: Any, url: str, filt: TrailFilter, skips: Skips) -> None:
        self.client, self.url, self.filter, self.skips = client, url, filt, skips
        self.bucket, self.prefix = parse_url(url)

    def name(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def objects(self) -> Iterator[Listed]:
        """Every object under the prefix the filter admits, in key order, listed folder by folder."""
        yield from self._walk(self.prefix, top=True)

    def _admits_folder(self, prefix: str) -> bool:
        folders = folders_after_marker(prefix)
        return folders is None or self.filter.admits(folders)

    def _walk(self, prefix: str, top: bool = False) -> Iterator[Listed]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix,
                                                                      Delimiter="/")
        try:
            for page in pages:
                entries = [(c["Prefix"], None) for c in page.get("CommonPrefixes") or ()]
                entries += [(o["Key"], o) for o in page.get("Contents") or ()]
                for key, obj in sorted(entries, key=lambda e: e[0]):
                    if obj is None:
                        if self._admits_folder(key):
                            yield from self._walk(key)
                    elif not key.endswith("/"):  # a console "folder" marker is not an object
                        found = classify(key)
                        if wanted(found, self.filter):
                            yield Listed(key, int(obj.get("Size") or 0), found.kind)
        except AwsError:
            raise  # already described by a deeper folder's listing
        except Exception as err:
            code = error_code(err)
            if top or code not in ACCESS_DENIED:
                raise aws_error(err, action="s3:ListBucket", resource=self.name(prefix)) or err from err
            self.skips.add(self.name(prefix), f"access denied listing this prefix ({code}); the rest goes on")

    def batches(self, quiet: QuietLines | None = None, size: int = BATCH) -> Iterator[Batch]:
        """What ``sources.batches_of`` yields for local files, for every listed object in key order.

        Digest, Insights and other objects are skipped unopened, each a batch that counts it.
        """
        yield from self.read(self.objects(), quiet, size)

    def read(self, listed: Iterable[Listed], quiet: QuietLines | None = None, size: int = BATCH) -> Iterator[Batch]:
        """The batches of objects already listed (by ``objects``, or by a Step Functions ItemReader)."""
        for obj in listed:
            name = self.name(obj.key)
            if obj.kind != "log":
                yield Batch(name, [], obj.size, last=True, skipped={obj.kind: 1})
                continue
            body = self._get(obj.key)
            if body is None:
                yield Batch(name, [], None, last=True)  # reported, and counted in ``skips``
                continue
            raw = BodyReader(body)
            stream = decoded(io.BufferedReader(raw, CHUNK), name)  # type: ignore[arg-type]
            try:
                yield from stream_batches(name, stream, lambda r=raw: r.consumed, size, quiet,
                                          total=lambda _, n=obj.size: n)
            finally:
                raw.close()

    def _get(self, key: str) -> Any:
        """The object's streaming body, or None (reported) when it is denied or gone."""
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except Exception as err:
            code = error_code(err)
            if code in ACCESS_DENIED:
                self.skips.add(self.name(key), f"access denied reading this object ({code}); the rest goes on")
            elif code in NOT_FOUND:
                self.skips.add(self.name(key), f"gone since it was listed ({code})")
            else:
                raise aws_error(err, action="s3:GetObject", resource=self.name(key)) or err from err
            return None
