"""Anchoring the incident log: publish its head where nobody with table access can rewrite it.

The hash chain proves the log was not edited *piecewise*; someone able to write the table can
still rewrite every entry and the head into a new, self-consistent chain (no secret goes into
the hashes, see ``chain.py``). Anchoring closes that gap. Every day the scheduled audit writes
the head — ``{seq, hash, time, ...}`` — as one small JSON object to an S3 bucket with Object
Lock in *compliance* mode (no one, root included, can delete or overwrite it before its
retention ends) that the monitor's role may only ``PutObject`` to. An auditor then checks
that the log still *extends* every anchored head: the entry at the anchored seq must still
carry the anchored hash. Since each entry's hash covers the previous one's, a verified chain
that passes through an anchored (seq, hash) has kept every entry up to that point.

Rules (``check_heads``), for a chain that ``verify`` found intact:

* an anchored seq beyond the head: entries were cut from the end, or the log was replaced;
* an anchored seq at or after the retention checkpoint: the entry (or the checkpoint itself)
  must carry the anchored hash;
* an anchored seq before the checkpoint: purged by retention and not checkable — counted as
  ``before_checkpoint``, unless *every* anchor is, which means the chain was cut past all of
  them (a forged checkpoint), and that fails;
* a head given without its seq (``verify --expect-head HASH``) must be the hash of some entry
  at or after the checkpoint, of the checkpoint, or the genesis hash.

Objects are named ``<prefix>YYYY/MM/DD/<time>-seq<seq>.json`` so a listing is in time order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.errors import ConfigError, InputError
from chalicelib.incidents.chain import GENESIS_HASH, ChainEntry, ChainHead
from chalicelib.incidents.keys import format_ts, utc

HEX = frozenset("0123456789abcdef")
_READ_NEEDS = "s3:ListBucketVersions and s3:GetObjectVersion on the anchor bucket"


@dataclass(frozen=True)
class Anchor:
    """One published head: ``seq`` may be None for a hash given by hand (``--expect-head``)."""

    seq: int | None
    hash: str
    time: str = ""
    store: str = ""
    location: str = ""  # where it was read from (an S3 key, "--expect-head")

    def __post_init__(self) -> None:
        text = self.hash.strip().lower()
        if len(text) != 64 or not set(text) <= HEX:
            raise InputError(f"not a head hash (64 hex characters): {self.hash[:80]!r}", self.location or None)
        object.__setattr__(self, "hash", text)

    @classmethod
    def of_head(cls, head: ChainHead, when: datetime, store: str = "") -> Anchor:
        return cls(head.seq, head.hash, format_ts(utc(when)), store)

    def to_json(self) -> bytes:
        return json.dumps({"seq": self.seq, "hash": self.hash, "time": self.time, "store": self.store},
                          sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes, location: str) -> Anchor:
        """Read one anchor object; anything else is an ``InputError`` naming the object."""
        try:
            doc = json.loads(data)
        except ValueError as err:
            raise InputError(f"anchor is not JSON: {err}", location) from None
        seq = doc.get("seq") if isinstance(doc, dict) else None
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0 or not isinstance(doc.get("hash"), str):
            raise InputError("anchor has no integer seq and hash", location)
        return cls(seq, doc["hash"], str(doc.get("time") or ""), str(doc.get("store") or ""), location)

    def key(self, prefix: str) -> str:
        """``<prefix>YYYY/MM/DD/<time>-seq<seq>.json``: listed in time order."""
        day = self.time[:10].replace("-", "/")
        return f"{prefix}{day}/{self.time}-seq{self.seq:012d}.json"

    @property
    def name(self) -> str:
        where = f" ({self.location})" if self.location else ""
        at = f"seq {self.seq} " if self.seq is not None else ""
        return f"anchored head {at}{self.hash[:16]}…{where}"


@dataclass(frozen=True)
class AnchorCheck:
    """Did the log extend every anchored head? ``problem`` names the first that it did not."""

    ok: bool
    checked: int = 0  # anchors confirmed against the chain
    before_checkpoint: int = 0  # anchors older than the retention checkpoint (purged, not checkable)
    problem: str | None = None
    newest: Anchor | None = None

    def to_dict(self) -> dict[str, Any]:
        newest = self.newest
        return {"ok": self.ok, "checked": self.checked, "before_checkpoint": self.before_checkpoint,
                "problem": self.problem,
                "newest": {"seq": newest.seq, "hash": newest.hash, "time": newest.time} if newest else None}


def check_heads(head: ChainHead, entries: Iterable[ChainEntry], anchors: list[Anchor]) -> AnchorCheck:
    """Does the chain (``entries`` in seq order from the checkpoint, ending at ``head``) extend every anchor?"""
    by_seq: dict[int, list[Anchor]] = {}
    loose: dict[str, Anchor] = {}
    for anchor in anchors:
        if anchor.seq is None:
            loose[anchor.hash] = anchor
        else:
            by_seq.setdefault(anchor.seq, []).append(anchor)
    known = {head.checkpoint_seq: head.checkpoint_hash, 0: GENESIS_HASH, head.seq: head.hash}
    found: set[str] = {h for h in known.values() if h in loose}
    wanted = {s for s in by_seq if head.checkpoint_seq < s <= head.seq}
    for entry in entries:
        if entry.seq in wanted:
            known[entry.seq] = entry.hash
        if entry.hash in loose:
            found.add(entry.hash)
    problems: list[str] = []
    checked = skipped = 0
    for seq in sorted(by_seq):
        for anchor in by_seq[seq]:
            if seq > head.seq:
                problems.append(f"{anchor.name} lies beyond the log's head (seq {head.seq}): entries were removed "
                                "from the end, or the log was replaced")
            elif seq < head.checkpoint_seq and seq != 0:
                skipped += 1
            elif seq not in known:
                problems.append(f"{anchor.name}: the log has no entry {seq}")
            elif known[seq] != anchor.hash:
                problems.append(f"the log does not extend {anchor.name}: its entry {seq} has hash {known[seq][:16]}…, "
                                "so the chain was rewritten")
            else:
                checked += 1
    for digest, anchor in loose.items():
        if digest in found:
            checked += 1
        else:
            problems.append(f"the log does not extend {anchor.name}: no entry from the retention checkpoint "
                            f"(seq {head.checkpoint_seq}) to the head (seq {head.seq}) has that hash")
    dated = [a for a in anchors if a.seq is not None]
    newest = max(dated, key=lambda a: (a.seq, a.time)) if dated else None
    if dated and skipped == len(dated) and not problems:
        problems.append(f"every anchored head lies before the retention checkpoint (seq {head.checkpoint_seq}): "
                        "the chain was cut past all of them")
    return AnchorCheck(not problems, checked, skipped, problems[0] if problems else None, newest)


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` → (bucket, prefix ending in ``/`` or empty)."""
    text = url.strip()
    if not text.startswith("s3://") or not text[5:].split("/", 1)[0]:
        raise ConfigError(f"expected s3://BUCKET/PREFIX, got {url!r}", location="--anchors")
    bucket, _, prefix = text[5:].partition("/")
    return bucket, (prefix.rstrip("/") + "/") if prefix.strip("/") else ""


class S3Anchors:
    """Anchors in one bucket and prefix: written by the daily schedule, read by auditors."""

    def __init__(self, bucket: str, prefix: str = "heads/", client: Any = None) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self._client = client

    @classmethod
    def from_url(cls, url: str, client: Any = None) -> S3Anchors:
        return cls(*parse_s3_url(url), client=client)

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("s3")
        return self._client

    def _call(self, operation: str, needs: str, **kwargs: Any) -> Any:
        """One S3 call; an AWS failure becomes one line naming the bucket (``awserrors``)."""
        from chalicelib.awserrors import aws_error

        try:
            return getattr(self.client, operation)(Bucket=self.bucket, **kwargs)
        except Exception as err:
            aws = aws_error(err, resource=f"S3 bucket {self.bucket!r}", needs=needs)
            if aws is None:
                raise
            raise aws from None

    def put(self, anchor: Anchor) -> str:
        """Write one anchor (Object Lock's default retention applies: only ``s3:PutObject`` is needed).

        A checksum is sent because S3 refuses a PutObject without one into an Object Lock bucket.
        """
        key = anchor.key(self.prefix)
        self._call("put_object", f"s3:PutObject on {self.prefix}*", Key=key, Body=anchor.to_json(),
                   ContentType="application/json", ChecksumAlgorithm="SHA256")
        return key

    def versions(self) -> Iterator[tuple[str, str | None]]:
        """(key, version id) of every version under the prefix, not only the current ones.

        The monitor's role may put, so it can write a new version over an anchor; the locked
        older version is still there and still checked, so overwriting hides nothing.
        """
        marker: dict[str, str] = {}
        while True:
            page = self._call("list_object_versions", _READ_NEEDS, Prefix=self.prefix, **marker)
            for item in page.get("Versions", []):
                if item["Key"].endswith(".json"):
                    yield item["Key"], item.get("VersionId")
            if not page.get("IsTruncated"):
                return
            marker = {"KeyMarker": page["NextKeyMarker"], "VersionIdMarker": page["NextVersionIdMarker"]}

    def read(self) -> list[Anchor]:
        """Every anchor (each version) under the prefix; an unreadable object is an ``InputError`` naming it."""
        out = []
        for key, version in self.versions():
            extra = {"VersionId": version} if version and version != "null" else {}
            body = self._call("get_object", _READ_NEEDS, Key=key, **extra)["Body"].read()
            where = f"s3://{self.bucket}/{key}" + (f"?versionId={version}" if extra else "")
            out.append(Anchor.from_json(body, where))
        return out

def store_head(store: Any) -> ChainHead:
    """The head of a chained store (``ChainedStore``: both backends), read as verify reads it."""
    with store._log_session(write=False) as session:  # the package's own read session
        return session.head()


def check_store(store: Any, anchors: list[Anchor]) -> AnchorCheck:
    """Does ``store``'s log extend every anchored head? Meaningful once ``verify`` is clean."""
    with store._log_session(write=False) as session:
        head = session.head()
        return check_heads(head, session.entries_after(head.checkpoint_seq), anchors)
