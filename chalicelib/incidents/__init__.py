"""The tamper-evident incident log: one interface (``IncidentStore``), two backends.

``open_store("sqlite:///incidents.db")`` locally, ``open_store("dynamodb://TABLE")`` in
Lambda. The chain design is documented in ``chain.py``; retention in ``retention.py``; the
DynamoDB key and index design in ``dynamodb_schema.py``.
"""

from chalicelib.incidents.chain import GENESIS_HASH, canonical_json, content_hash, link_hash
from chalicelib.incidents.factory import open_store
from chalicelib.incidents.store import (
    Incident,
    IncidentQuery,
    IncidentStore,
    Page,
    RecordOutcome,
    VerifyReport,
)

__all__ = [
    "GENESIS_HASH",
    "Incident",
    "IncidentQuery",
    "IncidentStore",
    "Page",
    "RecordOutcome",
    "VerifyReport",
    "canonical_json",
    "content_hash",
    "link_hash",
    "open_store",
]
