"""The hash chain that makes the incident log tamper-evident — one implementation for every backend.

Design
------
* **One chain per log.** Every state change appends an immutable entry. An *incident*
  entry (a new incident, or a finding grouped into one) is
  ``{kind: "incident", seq, incident_id, content_hash, prev_hash, last_seen, expires_at, hash}``;
  a *checkpoint* entry (appended by ``purge``) is
  ``{kind: "checkpoint", seq, prev_hash, through_seq, through_hash, hash}``.
  A *triage* entry (a status change, ``triage.py``) is ``{kind: "triage", seq, incident_id,
  content_hash, prev_hash, last_seen, hash}`` whose content_hash is the triage record's;
  the incident itself is not rewritten (``triage_verify.py`` checks the records).

  - ``content_hash = sha256(canonical_json(incident.content()))`` — the incident's whole
    stored content (every finding field, count, first/last seen, members, raw event) as
    JSON with sorted keys, no spaces, UTF-8;
  - ``hash = sha256(canonical_json(every other field of the entry))`` — all of ``ENTRY_FIELDS``
    (unused ones as ``""``/``null``), so nothing stored on an entry is outside its hash,
    including the ``last_seen``/``expires_at`` that purge and TTL pruning rely on;
  - the first entry links to ``GENESIS_HASH`` (64 zeros).

* **The head** (latest ``seq`` and ``hash``) is its own row/item and is advanced in the same
  transaction as the entry, conditionally on the seq the writer read. A writer that loses
  the race gets ``ChainConflict`` and retries from a fresh read (bounded, with jitter), so
  concurrent Lambdas serialise on the head and the chain never forks. The same head write
  also serialises dedup and grouping decisions: every decision was made on the state at
  the head seq the writer read.

* **verify** walks entries in seq order from the retention checkpoint: seqs must be
  contiguous, every ``prev_hash`` must equal the previous entry's ``hash``, every entry's
  ``hash`` must recompute, and the head must equal the last entry. The checkpoint it
  started from must be the one the last checkpoint entry records (or genesis if there is
  none), so a checkpoint moved by hand to hide a deleted prefix is reported. Then every
  incident's *latest* entry must carry the hash of its current content and its expiry
  (and the incident must carry that entry's seq/hash), every incident must have an entry,
  and every entry's incident must exist. Problems are ordered by chain position and the
  first one is reported with the incident it concerns. A missing entry is attributed to
  the incident whose current content re-creates the missing link, so deleting an
  incident's entry names that incident.

* **Retention** (``retention.py``) truncates a *prefix* of the chain: ``purge`` appends a
  checkpoint entry naming the last purged entry ``(through_seq, through_hash)``, stores the
  same pair as the head's checkpoint in the same write, then deletes the prefix. The head
  hash therefore changes with every purge, and verify starts from the recorded checkpoint.

* **DynamoDB TTL** deletes expired incidents outside ``purge``. Each incident entry records,
  inside its hash, the incident's ``expires_at`` at the time it was written (entries
  themselves have no TTL). When the store has retention configured, verify accepts a
  missing incident whose latest entry is intact and says it had expired by ``now``, and
  counts it as ``pruned``; any other missing incident is "removed". The next ``purge`` then
  moves the checkpoint past such entries (never past an entry verify would report).

Limits: a hash chain proves the log was not edited *piecewise*. Someone able to rewrite
every entry after a point and the head (or to append a forged checkpoint entry and move the
head) can forge a consistent chain, because no secret goes into the hashes; the head hash
changes when they do, so publish ``head_hash`` from ``VerifyReport`` somewhere they cannot
write (an S3 Object Lock bucket, a ticket) to anchor it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from chalicelib.incidents.keys import epoch, format_ts
from chalicelib.incidents.problems import Problems
from chalicelib.incidents.store import Incident, VerifyReport
from chalicelib.incidents.triage_verify import StoredTriage, check_triage

GENESIS_HASH = "0" * 64
INCIDENT = "incident"
CHECKPOINT = "checkpoint"
TRIAGE = "triage"  # a status change (``triage.py``): content_hash is the triage record's digest
# Every field of an entry except ``hash`` itself: all of them are hashed.
ENTRY_FIELDS = (
    "kind", "seq", "incident_id", "content_hash", "prev_hash", "last_seen", "expires_at", "through_seq", "through_hash"
)  # fmt: skip


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 text: the same content always gives the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def json_digest(value: Any) -> str:
    """``sha256(canonical_json(value))`` as hex: the one way anything is hashed."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def content_hash(incident: Incident) -> str:
    return json_digest(incident.content())


def entry_hash(entry: Mapping[str, Any]) -> str:
    """``sha256(canonical_json({f: entry[f] for f in ENTRY_FIELDS}))``: an entry's own hash."""
    return json_digest({f: entry[f] for f in ENTRY_FIELDS})


def link_hash(
    prev_hash: str, content_hash_: str, seq: int, incident_id: str, last_seen: str = "", expires_at: int | None = None
) -> str:
    """The hash of the incident entry recording ``content_hash_`` at ``seq`` after ``prev_hash``."""
    return entry_hash(ChainEntry(seq, incident_id, content_hash_, prev_hash, "", last_seen, expires_at).to_dict())


@dataclass(frozen=True)
class ChainHead:
    """The chain's tip plus the retention checkpoint that verify starts from."""

    seq: int = 0
    hash: str = GENESIS_HASH
    checkpoint_seq: int = 0
    checkpoint_hash: str = GENESIS_HASH


@dataclass(frozen=True)
class ChainEntry:
    """One immutable link; every field but ``hash`` goes into ``hash`` (see ``entry_hash``).

    Incident entries use ``incident_id``…``expires_at``; checkpoint entries use
    ``through_seq``/``through_hash`` (the last entry a purge removed) and leave the rest empty.
    """

    seq: int
    incident_id: str
    content_hash: str
    prev_hash: str
    hash: str
    last_seen: str = ""
    expires_at: int | None = None
    kind: str = INCIDENT
    through_seq: int | None = None
    through_hash: str | None = None

    @classmethod
    def append(cls, head: ChainHead, incident: Incident, expires_at: int | None) -> ChainEntry:
        """The entry that records ``incident``'s current content after ``head``."""
        seq, digest, last_seen = head.seq + 1, content_hash(incident), format_ts(incident.last_seen)
        return cls(
            seq=seq,
            incident_id=incident.incident_id,
            content_hash=digest,
            prev_hash=head.hash,
            hash=link_hash(head.hash, digest, seq, incident.incident_id, last_seen, expires_at),
            last_seen=last_seen,
            expires_at=expires_at,
        )

    @classmethod
    def triage(cls, head: ChainHead, incident_id: str, digest: str, at: str) -> ChainEntry:
        """The entry that records a triage record (its content ``digest``, made ``at``) after ``head``."""
        entry = cls(head.seq + 1, incident_id, digest, head.hash, "", last_seen=at, kind=TRIAGE)
        return replace(entry, hash=entry_hash(entry.to_dict()))

    @classmethod
    def checkpoint(cls, head: ChainHead, through_seq: int, through_hash: str) -> ChainEntry:
        """The entry a purge appends after ``head``: entries up to ``through_seq`` are gone."""
        entry = cls(head.seq + 1, "", "", head.hash, "", kind=CHECKPOINT, through_seq=through_seq,
                    through_hash=through_hash)  # fmt: skip
        return replace(entry, hash=entry_hash(entry.to_dict()))

    @property
    def head_after(self) -> ChainHead:
        """The head once this (checkpoint) entry is appended."""
        return ChainHead(self.seq, self.hash, self.through_seq or 0, self.through_hash or GENESIS_HASH)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def intact(self) -> bool:
        """Does ``hash`` still recompute from the stored fields? (A field edited to a non-JSON type: no.)"""
        try:
            return entry_hash(self.to_dict()) == self.hash
        except (TypeError, ValueError):
            return False


@dataclass(frozen=True)
class StoredIncident:
    """What verify and purge need of a stored incident: its digest, not its (large) content.

    ``content_hash`` is ``None`` when the stored row/item no longer parses (itself tampering).
    ``index_ok`` is False when a backend's derived index columns/attributes (principal key,
    severity rank, GSI keys) disagree with the content: editing those would hide an
    incident from auditors' queries without touching the hashed content. ``expires_at`` is
    the row's/item's TTL, which must equal the one its latest entry recorded.
    """

    incident_id: str
    content_hash: str | None
    seq: int = 0
    hash: str = ""
    last_seen: str = ""
    index_ok: bool = True
    expires_at: int | None = None

    @classmethod
    def of(
        cls, incident_id: str, incident: Incident | None, index_ok: bool = True, expires_at: int | None = None
    ) -> StoredIncident:
        if incident is None:
            return cls(incident_id, None, index_ok=False)
        return cls(
            incident_id=incident.incident_id,
            content_hash=content_hash(incident),
            seq=incident.seq,
            hash=incident.hash,
            last_seen=format_ts(incident.last_seen),
            index_ok=index_ok,
            expires_at=expires_at,
        )


class _Verifier:
    """One verification pass: walk the chain, check the head, then every incident."""

    def __init__(self, head: ChainHead, incidents: Iterable[StoredIncident], now: datetime, retention: bool) -> None:
        self.head = head
        self.triage_entries: dict[int, ChainEntry] = {}
        self.now_epoch = epoch(now)
        self.retention = retention
        self.stored = {s.incident_id: s for s in incidents}
        self.by_seq: dict[int, list[StoredIncident]] = {}
        for item in self.stored.values():
            if item.content_hash is not None:
                self.by_seq.setdefault(item.seq, []).append(item)
        self.problems = Problems()
        self.latest: dict[str, ChainEntry] = {}
        self.last_checkpoint: ChainEntry | None = None
        self.altered: set[int] = set()  # seqs whose hash does not recompute: none of their fields is trusted
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
                link = link_hash(prev_hash, item.content_hash or "", seq, item.incident_id, item.last_seen,
                                 item.expires_at)  # fmt: skip
                if link == target_hash:
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
            name = f"for incident {incident_id}" if entry.kind == INCIDENT else f"({entry.kind})"
            if seq > head.seq:
                add(seq, incident_id or None, f"chain entry seq {seq} {name} lies beyond the head: inserted")
            if seq > expected:
                owner = self.owner_of_missing(prev, expected, entry.prev_hash if seq == expected + 1 else None)
                gap = f"{expected}" if seq == expected + 1 else f"{expected}..{seq - 1}"
                what = f": it recorded incident {owner}" if owner else f", before entry seq {seq} {name}"
                add(expected, owner or incident_id or None, f"chain entry seq {gap} is missing (removed from the log)"
                    f"{what}")  # fmt: skip
            elif entry.prev_hash != prev:
                add(seq, incident_id or None, f"chain entry seq {seq} {name} does not link to seq {seq - 1}: "
                    "inserted or reordered")  # fmt: skip
            if not entry.intact():
                self.altered.add(seq)
                add(seq, incident_id or None, f"chain entry seq {seq} {name} was altered")
            self._take(entry)
            prev, expected, last_incident = entry.hash, seq + 1, incident_id or None
            self.checked += 1
        self._check_head(expected - 1, prev, last_incident)
        self._check_checkpoint()

    def _take(self, entry: ChainEntry) -> None:
        if entry.kind == INCIDENT:
            self.latest[entry.incident_id] = entry
        elif entry.kind == TRIAGE and entry.incident_id:
            self.triage_entries[entry.seq] = entry
        elif entry.kind == CHECKPOINT and entry.through_seq is not None and 0 < entry.through_seq < entry.seq:
            self.last_checkpoint = entry
        else:
            self.problems.add(entry.seq, None, f"chain entry seq {entry.seq} is malformed ({entry.kind})")

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

    def _check_checkpoint(self) -> None:
        """The checkpoint verify started from must be the one the last checkpoint entry records."""
        head, cp = self.head, self.last_checkpoint
        recorded = (cp.through_seq, cp.through_hash) if cp is not None else (0, GENESIS_HASH)
        if (head.checkpoint_seq, head.checkpoint_hash) == recorded and (cp is None or cp.seq not in self.altered):
            return
        if cp is None:
            why = "no checkpoint entry records it"
        elif cp.seq in self.altered:
            why = f"the last checkpoint entry (seq {cp.seq}) was altered"
        else:
            other = " with another hash" if cp.through_seq == head.checkpoint_seq else ""
            why = f"the last checkpoint entry (seq {cp.seq}) records seq {cp.through_seq}{other}"
        self.problems.add(
            head.checkpoint_seq,
            None,
            f"the retention checkpoint at seq {head.checkpoint_seq} was not recorded by a purge ({why}): "
            "chain entries before it were removed or the checkpoint was moved",
        )

    def check_incidents(self) -> None:
        add = self.problems.add
        for incident_id, entry in self.latest.items():
            item = self.stored.get(incident_id)
            if item is None:
                if self._expired(entry):
                    self.pruned += 1  # expired via TTL: retention, not tampering
                else:
                    add(entry.seq, incident_id, f"incident {incident_id} was removed (chain entry seq {entry.seq})")
            elif item.content_hash is None or not item.index_ok or item.content_hash != entry.content_hash:
                add(
                    entry.seq,
                    incident_id,
                    f"incident {incident_id} was altered: it no longer matches entry {entry.seq}",
                )
            elif item.expires_at != entry.expires_at:
                add(entry.seq, incident_id, f"incident {incident_id} was altered: its expiry is not the one entry "
                    f"{entry.seq} recorded")  # fmt: skip
            elif (item.seq, item.hash) != (entry.seq, entry.hash):
                add(
                    entry.seq, incident_id, f"incident {incident_id} claims entry {item.seq}, its latest is {entry.seq}"
                )
        for incident_id, item in self.stored.items():
            if incident_id not in self.latest:
                add(item.seq, incident_id, f"incident {incident_id} has no chain entry: inserted outside the log, "
                    "or its entry was removed")  # fmt: skip

    def _expired(self, entry: ChainEntry) -> bool:
        """Gone by retention: the store expires incidents and the intact entry's expiry has passed."""
        expires = entry.expires_at
        return (
            self.retention and entry.seq not in self.altered and isinstance(expires, int) and expires <= self.now_epoch
        )

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
    head: ChainHead,
    entries: Iterable[ChainEntry],
    incidents: Iterable[StoredIncident],
    now: datetime,
    *,
    retention: bool = False,
    triage: Iterable[StoredTriage] = (),
) -> VerifyReport:
    """Check ``entries`` (in seq order) and ``incidents`` against each other and ``head``.

    ``retention``: the store expires incidents (TTL), so a missing incident whose latest
    entry's hashed ``expires_at`` is past ``now`` counts as pruned rather than removed.
    ``triage``: the stored triage records, checked by ``triage_verify.check_triage``.
    """
    verifier = _Verifier(head, incidents, now, retention)
    verifier.walk(entries)
    verifier.check_incidents()
    live = {i for i, s in verifier.stored.items() if s.content_hash is not None}
    check_triage(verifier.triage_entries, triage, live, verifier.problems.add)
    return verifier.report()
