"""The on-call queue: incidents filtered by triage status and suppression.

Status is derived from triage records (``triage.py``), not stored on the incident, so these
filters run over the store's pages rather than inside a backend query: one read of every
triage record, then the pages. Fine for a queue or a report; pages may come back shorter
than ``limit`` when items are filtered out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import replace

from chalicelib.errors import ConfigError
from chalicelib.incidents.store import Incident, IncidentQuery, IncidentStore
from chalicelib.incidents.triage import STATUSES, TriageRecord, TriageState, state_of


def suppression_of(incident: Incident) -> dict | None:
    """The suppression entry that matched when the incident was stored (``details.suppressed``)."""
    value = incident.details.get("suppressed") if isinstance(incident.details, dict) else None
    return value if isinstance(value, dict) else None


def parse_statuses(text: str | None) -> frozenset[str]:
    """``open`` or ``open,acknowledged``; unknown names are a ``ConfigError`` naming them."""
    if not text:
        return frozenset()
    wanted = frozenset(s.strip() for s in text.split(",") if s.strip())
    unknown = sorted(wanted - set(STATUSES))
    if unknown:
        raise ConfigError(f"--status: unknown status {', '.join(map(repr, unknown))} "
                          f"(expected one of: {', '.join(STATUSES)})")
    return wanted


def triaged(
    store: IncidentStore,
    query: IncidentQuery,
    *,
    statuses: Collection[str] = (),
    suppressed: bool = False,
    every_page: bool = True,
    histories: dict[str, list[TriageRecord]] | None = None,
    tokens: list[str | None] | None = None,
) -> Iterator[tuple[Incident, TriageState]]:
    """Matching incidents with their state, newest first.

    ``suppressed`` False: suppressed incidents are left out (they never page anyone);
    True: only they are listed. ``tokens`` (when given) gets the last page's next token.
    """
    records = histories
    while True:
        page = store.query(query)
        if records is None:  # after the first page: a store that cannot be read fails on the query
            records = store.triage_histories()
        for incident in page.items:
            if (suppression_of(incident) is not None) != suppressed:
                continue
            state = state_of(incident, records.get(incident.incident_id, ()))
            if statuses and state.status not in statuses:
                continue
            yield incident, state
        if not every_page or page.next_token is None:
            if tokens is not None:
                tokens.append(page.next_token)
            return
        query = replace(query, next_token=page.next_token)
