"""Retention: which incidents ``purge`` may delete without breaking the chain, and the new checkpoint.

Purge truncates a *prefix* of the chain. Incidents are taken in order of their latest
entry's seq while each is due (``last_seen`` before the cutoff, or already gone via TTL
and due by its entry's ``last_seen``); the first incident that is not due stops the walk.
Every entry up to the last due incident's latest entry is then deleted and that entry's
``(seq, hash)`` becomes the checkpoint, recorded by a chained checkpoint entry that purge
appends in the same write that moves the head's checkpoint (``ChainEntry.checkpoint``). Entries in that prefix that belong to surviving
incidents are older versions (a survivor's latest entry always lies after the prefix), and
earlier checkpoint entries are superseded by the new one, so verification loses nothing it needs.

Consequence, documented for operators: an incident that is due but sits after one that is
not (e.g. an old CloudTrail file replayed after a live incident) is deleted by a later
purge, once everything before it is due. Retention is "at least", never "less than".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.incidents.chain import INCIDENT, ChainEntry
from chalicelib.incidents.keys import epoch, format_ts


@dataclass(frozen=True)
class IncidentMeta:
    """What purge needs to know about a stored incident."""

    last_seen: str
    seq: int


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


def plan_purge(entries: Iterable[ChainEntry], incidents: Mapping[str, IncidentMeta], older_than: datetime) -> PurgePlan:
    """Plan a purge from the entries after the current checkpoint (in seq order)."""
    latest: dict[str, ChainEntry] = {}
    for entry in entries:
        if entry.kind == INCIDENT:  # checkpoint entries are not incidents; they go with the prefix
            latest[entry.incident_id] = entry
    cutoff = format_ts(older_than)
    doomed: list[tuple[str, int]] = []
    last: ChainEntry | None = None
    for entry in sorted(latest.values(), key=lambda e: e.seq):
        meta = incidents.get(entry.incident_id)
        if meta is None:
            if not entry.last_seen or entry.last_seen >= cutoff:
                break  # removed but not due: leave it for verify to report
        elif meta.last_seen < cutoff and meta.seq == entry.seq:
            doomed.append((entry.incident_id, meta.seq))
        else:
            break
        last = entry
    if last is None:
        return PurgePlan()
    return PurgePlan(incidents=tuple(doomed), checkpoint_seq=last.seq, checkpoint_hash=last.hash)
