"""Verify triage records against the chain (called by ``chain._Verifier``).

Checks, each reported at its chain position: every walked ``triage`` entry has its stored
record, unchanged; an incident's stored records link to each other (``prev``) from the
first to the last; the last one is the incident's latest triage entry; and a live incident
never has records the chain does not know. Records left behind by an incident that retention
removed are not evidence of anything and are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.incidents.chain import ChainEntry

Add = Callable[[int, "str | None", str], None]


@dataclass(frozen=True)
class StoredTriage:
    """A stored triage record as verify sees it; ``digest`` is ``None`` when it no longer parses."""

    incident_id: str
    seq: int
    digest: str | None
    prev: str = ""
    hash: str = ""


def check_triage(
    entries: Mapping[int, ChainEntry],
    records: Iterable[StoredTriage],
    live_incidents: set[str],
    add: Add,
) -> None:
    """Report every triage record or entry that was edited, removed or inserted."""
    by_seq: dict[int, StoredTriage] = {}
    by_incident: dict[str, list[StoredTriage]] = {}
    for record in records:
        by_seq[record.seq] = record
        by_incident.setdefault(record.incident_id, []).append(record)
    latest: dict[str, int] = {}
    for seq, entry in sorted(entries.items()):
        latest[entry.incident_id] = seq
        record = by_seq.get(seq)
        if record is None or record.incident_id != entry.incident_id:
            add(seq, entry.incident_id, f"triage record seq {seq} of incident {entry.incident_id} was removed")
        elif record.digest != entry.content_hash or record.hash != entry.hash:
            add(seq, entry.incident_id, f"triage record seq {seq} of incident {entry.incident_id} was altered: it no "
                "longer matches its chain entry")  # fmt: skip
    for incident_id, stored in by_incident.items():
        stored.sort(key=lambda r: r.seq)
        if incident_id not in latest:
            if incident_id in live_incidents:
                add(stored[0].seq, incident_id, f"triage record seq {stored[0].seq} of incident {incident_id} has "
                    "no chain entry: inserted outside the log")  # fmt: skip
            continue
        previous = ""
        for record in stored:
            if record.digest is None or record.prev != previous:
                add(record.seq, incident_id, f"triage history of incident {incident_id} is broken before seq "
                    f"{record.seq}: a triage record was removed or altered")  # fmt: skip
                break
            previous = record.digest
        if stored[-1].seq > latest[incident_id]:
            seq = stored[-1].seq
            add(seq, incident_id, f"triage record seq {seq} of incident {incident_id} has no chain entry: inserted "
                "outside the log")  # fmt: skip
