"""Retention: which incidents ``purge`` may delete without breaking the chain, and the new checkpoint.

Purge truncates a *prefix* of the chain. Incidents are taken in order of their latest
entry's seq while each is due (``last_seen`` before the cutoff, or already gone via TTL
and due by its entry's ``last_seen``); the first incident that is not due stops the walk.
Every entry up to the last due incident's latest entry is then deleted and that entry's
``(seq, hash)`` becomes the checkpoint. Purge records it in a chained checkpoint entry
(``ChainEntry.checkpoint``), appended in the same write that sets the head's checkpoint, so
the head hash changes and verify can tell a purge from a prefix deleted by hand. Entries in
that prefix that belong to surviving incidents are older versions (a survivor's latest
entry always lies after the prefix), and earlier checkpoint entries are superseded by the
new one, so verification loses nothing it needs. Purge also stops at the first entry or
incident that verify would report, so it never erases evidence of tampering.

Consequence, documented for operators: an incident that is due but sits after one that is
not (e.g. an old CloudTrail file replayed after a live incident) is deleted by a later
purge, once everything before it is due. Retention is "at least", never "less than".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.incidents.chain import INCIDENT, TRIAGE, ChainEntry, ChainHead
from chalicelib.incidents.keys import epoch, format_ts


@dataclass(frozen=True)
class IncidentMeta:
    """What purge needs to know about a stored incident (``content_hash`` None: unreadable)."""

    last_seen: str
    seq: int
    content_hash: str | None = None


@dataclass(frozen=True)
class PurgePlan:
    """Incidents to delete (with the seq each must still have) and the new checkpoint."""

    incidents: tuple[tuple[str, int], ...] = ()
    checkpoint_seq: int | None = None
    checkpoint_hash: str | None = None

    @property
    def empty(self) -> bool:
        return self.checkpoint_seq is None


def expires_at(last_seen: datetime, retention: timedelta | None) -> int | None:
    """Epoch seconds at which DynamoDB TTL may delete an incident (None: no TTL)."""
    return None if retention is None else epoch(last_seen + retention)


def plan_purge(
    entries: Iterable[ChainEntry], incidents: Mapping[str, IncidentMeta], older_than: datetime, head: ChainHead
) -> PurgePlan:
    """Plan a purge from the entries after ``head``'s checkpoint (in seq order).

    Only a prefix that verifies is truncated: the walk stops at the first gap, broken link or
    altered entry, and at an incident whose content no longer matches its entry, so a purge
    never deletes the evidence that verify would report (an edited ``last_seen`` cannot make
    a live incident due, nor a deleted one look expired).
    """
    latest: dict[str, ChainEntry] = {}
    triaged: dict[str, ChainEntry] = {}  # incident → its latest triage entry
    expected, prev, sound = head.checkpoint_seq + 1, head.checkpoint_hash, True
    for entry in entries:
        sound = sound and entry.seq == expected and entry.prev_hash == prev and entry.intact()
        if sound:
            expected, prev = entry.seq + 1, entry.hash
        if entry.kind == INCIDENT:  # checkpoint entries are not incidents; they go with the prefix
            latest[entry.incident_id] = entry
        elif entry.kind == TRIAGE:
            triaged[entry.incident_id] = entry
    cutoff = format_ts(older_than)
    order = sorted(latest.values(), key=lambda e: e.seq)
    doomed: list[tuple[str, int]] = []
    passed = 0  # how many of ``order`` the purge may go past
    for entry in order:
        meta = incidents.get(entry.incident_id)
        if entry.seq >= expected:
            break  # at or past the first entry verify would report
        if meta is None:
            if not entry.last_seen or entry.last_seen >= cutoff:
                break  # removed but not due: leave it for verify to report
        elif meta.last_seen < cutoff and meta.seq == entry.seq and meta.content_hash == entry.content_hash:
            doomed.append((entry.incident_id, meta.seq))
        else:
            break
        passed += 1
    passed, last = _keep_triage(order, passed, triaged, expected)
    if last is None:
        return PurgePlan()
    gone = {e.incident_id for e in order[:passed]}
    return PurgePlan(incidents=tuple(d for d in doomed if d[0] in gone), checkpoint_seq=last.seq,
                     checkpoint_hash=last.hash)  # fmt: skip


def _keep_triage(
    order: list[ChainEntry], passed: int, triaged: Mapping[str, ChainEntry], expected: int
) -> tuple[int, ChainEntry | None]:
    """How many of ``order`` to purge, and the entry to checkpoint at, so triage goes with its incident.

    An incident's latest triage entry vouches for its whole triage history (``triage.py``):
    it must not be truncated while the incident survives, nor survive its incident. So the
    checkpoint is the last entry of the purged incidents (their triage included), and must
    lie before every survivor's latest entry and latest triage entry: the longest such
    prefix of the ``passed`` candidates.
    """
    listed = {e.incident_id for e in order}
    inf = 1 << 62
    suffix_min = [min((e.seq for i, e in triaged.items() if i not in listed), default=inf)] * (len(order) + 1)
    for k in range(len(order) - 1, -1, -1):
        own = triaged.get(order[k].incident_id)
        suffix_min[k] = min(suffix_min[k + 1], order[k].seq, own.seq if own else inf)
    best: tuple[int, ChainEntry | None] = (0, None)
    last: ChainEntry | None = None
    for k in range(1, passed + 1):
        for entry in (order[k - 1], triaged.get(order[k - 1].incident_id)):
            if entry is not None and (last is None or entry.seq > last.seq):
                last = entry
        if last is not None and last.seq < min(suffix_min[k], expected):
            best = (k, last)
    return best
