"""The DynamoDB table layout: key design, GSIs, and the item codec.

``table_definition`` is the single source of truth for the table: tests and the local
simulator pass it to ``create_table``; the CloudFormation writer turns it into an
``AWS::DynamoDB::Table`` (adding ``ttl_specification()``), so the two never drift.

Items (one table, string keys ``pk``/``sk``):

============  ==========================  ==========  =========================================
kind          pk                          sk          purpose
============  ==========================  ==========  =========================================
incident      ``INC#<incident_id>``       ``INC``     the incident (+ GSI keys, ``expires_at``)
dedup         ``DEDUP#<dedup_key>``       ``DEDUP``   at-least-once delivery marker → incident
group         ``GROUP#<rule>#<group>``    ``GROUP``   the open incident of a (rule, group_key)
head          ``CHAIN``                   ``HEAD``    chain tip, checkpoint, min/max month
entry         ``CHAIN``                   ``E#<seq>`` immutable chain entry (12-digit seq; incident,
                                                      triage or checkpoint, see ``entry_kind``)
triage        ``TRIAGE#<incident_id>``    ``T#<seq>`` one status change of an incident (``triage.py``)
============  ==========================  ==========  =========================================

GSIs (projection ALL, sort key ``g_ts`` = ``first_seen#incident_id`` so every index returns
newest first and pages by keyset), sparse — only incident items carry ``g_*`` attributes:

* ``gsi_principal`` on ``g_principal``: the role ARN for roles and their assumed-role
  sessions, else the exact principal ARN. A role query reads the partition as is; an exact
  session ARN reads its role's partition with a filter on ``principal_arn``.
* ``gsi_rule`` on ``g_rule``; ``gsi_account`` on ``g_account``.
* ``gsi_time`` on ``g_month`` = ``T#YYYY-MM`` of first_seen: one partition per month (no
  hot key for "everything, newest first"); the head remembers the oldest/newest month.

The chain lives in one partition (``CHAIN``) so verify/purge read it in seq order with one
paginated ``Query``; every write touches the head anyway, so it is serialised by design.
TTL (``expires_at``) is set on incident, dedup and group items only, never on chain items.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from chalicelib.errors import TrailwardenError
from chalicelib.incidents.chain import ChainEntry, StoredIncident
from chalicelib.incidents.keys import format_ts, month_of, principal_key, sort_key
from chalicelib.incidents.store import Incident
from chalicelib.incidents.triage import TriageRecord
from chalicelib.incidents.triage_verify import StoredTriage

TTL_ATTRIBUTE = "expires_at"
CHAIN_PK = "CHAIN"
HEAD_SK = "HEAD"
INCIDENT_SK = "INC"
SEQ_WIDTH = 12

# index name → hash-key attribute; all share the range key ``g_ts``
INDEXES: dict[str, str] = {
    "gsi_principal": "g_principal",
    "gsi_rule": "g_rule",
    "gsi_account": "g_account",
    "gsi_time": "g_month",
}
RANGE_ATTRIBUTE = "g_ts"
_DERIVED = (*INDEXES.values(), RANGE_ATTRIBUTE, "sev")
_BOOKKEEPING = frozenset({"pk", "sk", "kind", TTL_ATTRIBUTE, *_DERIVED})

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def table_definition(table_name: str) -> dict[str, Any]:
    """``create_table`` keyword arguments (also the CloudFormation table's properties)."""
    attributes = ["pk", "sk", *INDEXES.values(), RANGE_ATTRIBUTE]
    return {
        "TableName": table_name,
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in attributes],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": name,
                "KeySchema": [
                    {"AttributeName": hash_key, "KeyType": "HASH"},
                    {"AttributeName": RANGE_ATTRIBUTE, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for name, hash_key in INDEXES.items()
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }


def ttl_specification() -> dict[str, Any]:
    """For ``update_time_to_live`` / CloudFormation ``TimeToLiveSpecification``."""
    return {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}


def incident_pk(incident_id: str) -> str:
    return f"INC#{incident_id}"


def dedup_pk(dedup_key: str) -> str:
    return f"DEDUP#{dedup_key}"


def group_pk(rule: str, group_key: str) -> str:
    return f"GROUP#{rule}#{group_key}"


def entry_sk(seq: int) -> str:
    return f"E#{seq:0{SEQ_WIDTH}d}"


def triage_pk(incident_id: str) -> str:
    return f"TRIAGE#{incident_id}"


def triage_item(record: TriageRecord) -> dict[str, Any]:
    """A triage record's item: no TTL (purge deletes it with its incident)."""
    return {"pk": triage_pk(record.incident_id), "sk": f"T#{record.seq:0{SEQ_WIDTH}d}", "kind": "triage",
            **record.to_dict()}  # fmt: skip


def triage_from_item(item: dict[str, Any]) -> TriageRecord:
    return TriageRecord.from_dict({k: v for k, v in item.items() if k not in ("pk", "sk", "kind")})


def stored_triage(item: dict[str, Any]) -> StoredTriage:
    """A triage item as verify sees it; one that no longer parses has no digest."""
    try:
        record = triage_from_item(item)
    except (TrailwardenError, ValueError, TypeError, KeyError):
        seq = item.get("seq")
        return StoredTriage(str(item.get("incident_id")), seq if isinstance(seq, int) else -1, None)
    return StoredTriage(record.incident_id, record.seq, record.digest, record.prev, record.hash)


# -- value codec ---------------------------------------------------------------------------
def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    """Decimals back to the int/float they were written as, so content hashes round-trip."""
    if isinstance(value, Decimal):
        text = str(value)
        return float(value) if any(c in text for c in ".eE") else int(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_from_dynamo(v) for v in value]
    return value


def serialize(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in item.items()}


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _from_dynamo(_deserializer.deserialize(v)) for k, v in item.items()}


def value(v: Any) -> dict[str, Any]:
    return _serializer.serialize(_to_dynamo(v))


# -- items ---------------------------------------------------------------------------------
def index_attributes(incident: Incident) -> dict[str, Any]:
    """The GSI keys an incident item must carry (recomputed by verify to catch edits)."""
    first_seen = format_ts(incident.first_seen)
    out: dict[str, Any] = {
        "g_rule": incident.rule,
        "g_month": f"T#{month_of(first_seen)}",
        RANGE_ATTRIBUTE: sort_key(first_seen, incident.incident_id),
        "sev": int(incident.severity),
    }
    key = principal_key(incident.principal_arn)
    if key:
        out["g_principal"] = key
    if incident.account:
        out["g_account"] = incident.account
    return out


def incident_item(incident: Incident, expires_at: int | None) -> dict[str, Any]:
    item = {"pk": incident_pk(incident.incident_id), "sk": INCIDENT_SK, "kind": "incident", **incident.to_dict()}
    item.update(index_attributes(incident))
    if expires_at is not None:
        item[TTL_ATTRIBUTE] = expires_at
    return item


def parse_incident(item: dict[str, Any]) -> tuple[str, Incident | None, bool]:
    """(id, incident or None if the item no longer parses, whether its GSI keys agree)."""
    incident_id = str(item.get("incident_id") or str(item.get("pk", "")).removeprefix("INC#"))
    try:
        incident = Incident.from_dict({k: v for k, v in item.items() if k not in _BOOKKEEPING})
    except (TrailwardenError, ValueError, TypeError, KeyError):
        return incident_id, None, False
    expected = index_attributes(incident)
    index_ok = (
        item.get("pk") == incident_pk(incident.incident_id)
        and item.get("severity") == incident.severity.label
        and all(item.get(name) == expected.get(name) for name in _DERIVED)
    )
    return incident.incident_id, incident, index_ok


def stored_incident(item: dict[str, Any]) -> StoredIncident:
    """A plain (deserialised) incident item as verify sees it."""
    expires = item.get(TTL_ATTRIBUTE)
    return StoredIncident.of(*parse_incident(item), expires_at=expires if isinstance(expires, int) else None)


# Entry fields renamed on the item: ``expires_at`` would TTL the entry, ``kind`` is the item kind.
_ENTRY_RENAMES = {"expires_at": "incident_expires_at", "kind": "entry_kind"}


def entry_item(entry: ChainEntry) -> dict[str, Any]:
    """Chain entries carry the incident's expiry as ``incident_expires_at``: never TTL'd themselves."""
    data = {_ENTRY_RENAMES.get(k, k): v for k, v in entry.to_dict().items()}
    return {"pk": CHAIN_PK, "sk": entry_sk(entry.seq), "kind": "entry", **data}


def entry_from_item(item: dict[str, Any]) -> ChainEntry:
    """As stored: a field of the wrong type is kept as it is, so the entry hash no longer matches."""
    through_seq = item.get("through_seq")
    return ChainEntry(
        seq=int(item["seq"]),
        incident_id=str(item.get("incident_id") or ""),
        content_hash=str(item.get("content_hash") or ""),
        prev_hash=str(item["prev_hash"]),
        hash=str(item["hash"]),
        last_seen=str(item.get("last_seen") or ""),
        expires_at=item.get("incident_expires_at"),
        kind=str(item.get("entry_kind") or ""),
        through_seq=through_seq if isinstance(through_seq, int) else None,
        through_hash=item.get("through_hash"),
    )
