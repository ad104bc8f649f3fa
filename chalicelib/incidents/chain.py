"""The hash chain that makes the incident log tamper-evident — one implementation for every backend.

Design
------
* **One chain per log.** Every state change (a new incident, or a finding grouped into one)
  appends an immutable entry ``{seq, incident_id, content_hash, prev_hash, hash}``:

  - ``content_hash = sha256(canonical_json(incident.content()))`` — the incident's whole
    stored content (every finding field, count, first/last seen, members, raw event) as
    JSON with sorted keys, no spaces, UTF-8;
  - ``hash = sha256(prev_hash | content_hash | seq | incident_id)`` (joined with ``|``);
  - the first entry links to ``GENESIS_HASH`` (64 zeros).

* **The head** (latest ``seq`` and ``hash``) is its own row/item and is advanced in the same
  transaction as the entry, conditionally on the seq the writer read. A writer that loses
  the race gets ``ChainConflict`` and retries from a fresh read (bounded, with jitter), so
  concurrent Lambdas serialise on the head and the chain never forks. The same head write
  also serialises dedup and grouping decisions: every decision was made on the state at
  the head seq the writer read.

* **verify** walks entries in seq order from the retention checkpoint: seqs must be
  contiguous, every ``prev_hash`` must equal the previous entry's ``hash``, every entry's
  ``hash`` must recompute, and the head must equal the last entry. Then every incident's
  *latest* entry must carry the hash of its current content (and the incident must carry
  that entry's seq/hash), every incident must have an entry, and every entry's incident
  must exist. Problems are ordered by chain position and the first one is reported with
  the incident it concerns. A missing entry is attributed to the incident whose current
  content re-creates the missing link, so deleting an incident's entry names that incident.

* **Retention** (``retention.py``) truncates a *prefix* of the chain and stores a checkpoint
  ``(seq, hash)`` of the last purged entry in the head; verify starts there.

* **DynamoDB TTL** deletes expired incidents outside ``purge``. Each entry keeps, outside
  the hash, the incident's ``expires_at`` at the time it was written (entries themselves have
  no TTL). verify accepts a missing incident whose latest entry says it had expired by
  ``now`` and counts it as ``pruned``; a missing incident that had not expired is
  "removed". The next ``purge`` then moves the checkpoint past such entries.

Limits: a hash chain proves the log was not edited *piecewise*. Someone able to rewrite
every entry and the head can forge a consistent chain; publish ``head_hash`` from
``VerifyReport`` somewhere they cannot write (an S3 Object Lock bucket, a ticket) to anchor
it. The advisory ``expires_at``/``last_seen`` on entries are not hashed (the entry hash
formula is fixed), so editing them can only make a deleted incident look expired — the
same outcome retention would have had once it was due.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.incidents.keys import epoch, format_ts
from chalicelib.incidents.store import Incident, VerifyReport

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 text: the same content always gives the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(incident: Incident) -> str:
    return hashlib.sha256(canonical_json(incident.content()).encode("utf-8")).hexdigest()


def link_hash(prev_hash: str, content_hash_: str, seq: int, incident_id: str) -> str:
    joined = "|".join((prev_hash, content_hash_, str(seq), incident_id))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainHead:
    """The chain's tip plus the retention checkpoint that verify starts from."""

    seq: int = 0
    hash: str = GENESIS_HASH
    checkpoint_seq: int = 0
    checkpoint_hash: str = GENESIS_HASH


@dataclass(frozen=True)
class ChainEntry:
    """One immutable link. ``last_seen``/``expires_at`` are advisory, outside the hash."""

    seq: int
    incident_id: str
    content_hash: str
    prev_hash: str
    hash: str
    last_seen: str = ""
    expires_at: int | None = None

    @classmethod
    def append(cls, head: ChainHead, incident: Incident, expires_at: int | None) -> ChainEntry:
        """The entry that records ``incident``'s current content after ``head``."""
        seq = head.seq + 1
        digest = content_hash(incident)
        return cls(
            seq=seq,
            incident_id=incident.incident_id,
            content_hash=digest,
            prev_hash=head.hash,
            hash=link_hash(head.hash, digest, seq, incident.incident_id),
            last_seen=format_ts(incident.last_seen),
            expires_at=expires_at,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "incident_id": self.incident_id,
            "content_hash": self.content_hash,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
            "last_seen": self.last_seen,
            "expires_at": self.expires_at,
        }


@dataclass(frozen=True)
class StoredIncident:
    """What verify and purge need of a stored incident: its digest, not its (large) content.

    ``content_hash`` is ``None`` when the stored row/item no longer parses (itself tampering).
    ``index_ok`` is False when a backend's derived index columns/attributes (principal key,
    severity rank, GSI keys) disagree with the content: editing those would hide an
    incident from auditors' queries without touching the hashed content.
    """

    incident_id: str
    content_hash: str | None
    seq: int = 0
    hash: str = ""
    last_seen: str = ""
    index_ok: bool = True

    @classmethod
    def of(cls, incident_id: str, incident: Incident | None, index_ok: bool = True) -> StoredIncident:
        if incident is None:
            return cls(incident_id, None, index_ok=False)
        return cls(
            incident_id=incident.incident_id,
            content_hash=content_hash(incident),
            seq=incident.seq,
            hash=incident.hash,
            last_seen=format_ts(incident.last_seen),
            index_ok=index_ok,
        )


@dataclass
class _Problems:
    """Problems found so far, each with its position in the chain; the earliest wins."""

    found: list[tuple[int, int, str | None, str]] = field(default_factory=list)

    def add(self, position: int, incident_id: str | None, message: str) -> None:
        self.found.append((position, len(self.found), incident_id, message))

    def first(self) -> tuple[str | None, str] | None:
        if not self.found:
            return None
        _, _, incident_id, message = min(self.found, key=lambda p: (p[0], p[1]))
        return incident_id, message


class _Verifier:
    """One verification pass: walk the chain, check the head, then every incident."""

    def __init__(self, head: ChainHead, incidents: Iterable[StoredIncident], now: datetime) -> None:
        self.head = head
        self.now_epoch = epoch(now)
        self.stored = {s.incident_id: s for s in incidents}
        self.by_seq: dict[int, list[StoredIncident]] = {}
        for item in self.stored.values():
            if item.content_hash is not None:
                self.by_seq.setdefault(item.seq, []).append(item)
        self.problems = _Problems()
        self.latest: dict[str, ChainEntry] = {}
        self.checked = 0
        self.pruned = 0
        self._searched = False

    def owner_of_missing(self, prev_hash: str, seq: int, target_hash: str | None) -> str | None:
        """Whose entry was at ``seq``: the incident whose current content re-creates the link.

        Incidents claiming that seq are tried first; all of them only once per pass, so a
        log with thousands of deleted entries still verifies in linear time.
        """
        claimed = self.by_seq.get(seq, [])
        candidates: Iterable[StoredIncident] = claimed
        if target_hash is not None and not self._searched:
            self._searched = True
            candidates = [*claimed, *(s for s in self.stored.values() if s.content_hash and s.seq != seq)]
        if target_hash is not None:
            for item in candidates:
                if link_hash(prev_hash, item.content_hash or "", seq, item.incident_id) == target_hash:
                    return item.incident_id
        return claimed[0].incident_id if claimed else None

    def walk(self, entries: Iterable[ChainEntry]) -> None:
        head, add = self.head, self.problems.add
        expected, prev, last_incident = head.checkpoint_seq + 1, head.checkpoint_hash, None
        for entry in entries:
            seq, incident_id = entry.seq, entry.incident_id
            if seq <= head.checkpoint_seq:
                continue  # left behind by an interrupted purge: already outside the checkpoint
            if seq < expected:
                add(seq, incident_id, f"chain entry seq {seq} is out of order")
                continue
            if seq > head.seq:
                add(
                    seq, incident_id, f"chain entry seq {seq} for incident {incident_id} lies beyond the head: inserted"
                )
            if seq > expected:
                owner = self.owner_of_missing(prev, expected, entry.prev_hash if seq == expected + 1 else None)
                gap = f"{expected}" if seq == expected + 1 else f"{expected}..{seq - 1}"
                what = f": it recorded incident {owner}" if owner else f", before incident {incident_id}"
                add(expected, owner or incident_id, f"chain entry seq {gap} is missing (removed from the log){what}")
            elif entry.prev_hash != prev:
                add(seq, incident_id, f"chain entry seq {seq} for incident {incident_id} does not link to seq "
                    f"{seq - 1}: inserted or reordered")  # fmt: skip
            if link_hash(entry.prev_hash, entry.content_hash, seq, incident_id) != entry.hash:
                add(seq, incident_id, f"chain entry seq {seq} for incident {incident_id} was altered")
            self.latest[incident_id] = entry
            prev, expected, last_incident = entry.hash, seq + 1, incident_id
            self.checked += 1
        self._check_head(expected - 1, prev, last_incident)

    def _check_head(self, last_seq: int, last_hash: str, last_incident: str | None) -> None:
        head = self.head
        if head.seq > last_seq:
            owner = self.owner_of_missing(last_hash, last_seq + 1, head.hash if head.seq == last_seq + 1 else None)
            what = f": the last recorded incident {owner}" if owner else ""
            self.problems.add(
                last_seq + 1, owner, f"chain entries {last_seq + 1}..{head.seq} are missing (head at {head.seq}){what}"
            )
        elif head.seq == last_seq and head.hash != last_hash:
            self.problems.add(last_seq, last_incident, f"the chain head does not match entry seq {last_seq}")

    def check_incidents(self) -> None:
        add = self.problems.add
        for incident_id, entry in self.latest.items():
            item = self.stored.get(incident_id)
            if item is None:
                if entry.expires_at is not None and entry.expires_at <= self.now_epoch:
                    self.pruned += 1  # expired via TTL: retention, not tampering
                else:
                    add(entry.seq, incident_id, f"incident {incident_id} was removed (chain entry seq {entry.seq})")
            elif item.content_hash is None or not item.index_ok or item.content_hash != entry.content_hash:
                add(
                    entry.seq,
                    incident_id,
                    f"incident {incident_id} was altered: it no longer matches entry {entry.seq}",
                )
            elif (item.seq, item.hash) != (entry.seq, entry.hash):
                add(
                    entry.seq, incident_id, f"incident {incident_id} claims entry {item.seq}, its latest is {entry.seq}"
                )
        for incident_id, item in self.stored.items():
            if incident_id not in self.latest:
                add(item.seq, incident_id, f"incident {incident_id} has no chain entry: inserted outside the log, "
                    "or its entry was removed")  # fmt: skip

    def report(self) -> VerifyReport:
        first = self.problems.first()
        return VerifyReport(
            ok=first is None,
            checked=self.checked,
            problem=first[1] if first else None,
            first_bad_incident_id=first[0] if first else None,
            incidents=len(self.stored),
            head_seq=self.head.seq,
            head_hash=self.head.hash,
            pruned=self.pruned,
        )


def verify_chain(
    head: ChainHead, entries: Iterable[ChainEntry], incidents: Iterable[StoredIncident], now: datetime
) -> VerifyReport:
    """Check ``entries`` (in seq order) and ``incidents`` against each other and ``head``."""
    verifier = _Verifier(head, incidents, now)
    verifier.walk(entries)
    verifier.check_incidents()
    return verifier.report()
